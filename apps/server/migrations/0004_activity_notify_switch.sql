-- Live activity events cost a JSON build and a NOTIFY per activity row. A server whose database
-- nobody else listens to (the embedded one) turns them off while no board client is subscribed,
-- by setting staple.live_activity = 'off' on its session. Postgres servers shared by several
-- instances leave it unset: every row is announced.
CREATE OR REPLACE FUNCTION staple_notify_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('staple.live_activity', true) = 'off' THEN
    RETURN NEW;
  END IF;
  PERFORM pg_notify('staple_live', json_build_object(
    'type', 'activity.logged',
    'companyId', NEW.company_id,
    'at', NEW.created_at,
    'payload', json_build_object(
      'id', NEW.id, 'action', NEW.action, 'entityType', NEW.entity_type, 'entityId', NEW.entity_id,
      'actorType', NEW.actor_type, 'actorId', NEW.actor_id, 'agentId', NEW.agent_id, 'runId', NEW.run_id)
  )::text);
  RETURN NEW;
END
$$;
