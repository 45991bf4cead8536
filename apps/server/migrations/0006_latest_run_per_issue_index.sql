-- "The latest run of an issue" (reconciliation, liveness, runs of an issue) reads one index row
-- when the index carries the full ordering (created_at DESC, id DESC); the old (issue_id,
-- created_at DESC) index needed an extra sort per probe (bench W5: 10,000 probes per pass).
CREATE INDEX heartbeat_runs_issue_latest_idx ON heartbeat_runs (issue_id, created_at DESC, id DESC) WHERE issue_id IS NOT NULL;
DROP INDEX heartbeat_runs_issue_idx;
