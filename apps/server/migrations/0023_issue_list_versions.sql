-- A version per company for everything the issue list shows (issues, their labels, the labels
-- themselves). A server may keep a list page it built and answer it again while the company's
-- version is still the one read with the page (apps/server/src/issues/list-cache.ts).
--
-- Invariants:
-- - Every committed transaction that inserts, updates or deletes a row of issues, issue_labels or
--   labels of a company gives that company's row a new version in the same transaction, so a
--   reader sees both the change and the new version or neither.
-- - A version value is never used twice in this database (it comes from a sequence), so a company
--   deleted and brought back with the same id cannot match a page kept from before.
-- Trade-off: the triggers are deferred to commit, so the version row is locked only while the
-- transaction commits; writers of one company's issues serialise on it for that moment. Two
-- transactions that each change issues of the same two companies, in opposite orders, can
-- deadlock at commit on Postgres; one is rolled back and runs again (db.tx retries 40P01).
CREATE SEQUENCE issue_list_version_seq;

CREATE TABLE issue_list_versions (
  company_id uuid PRIMARY KEY REFERENCES companies(id) ON DELETE CASCADE,
  version bigint NOT NULL
);

CREATE FUNCTION staple_bump_issue_list_version(company uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  bumped text := coalesce(current_setting('staple.issue_list_bumped', true), '');
BEGIN
  -- Once per company per transaction: the setting is transaction-local.
  IF company IS NULL OR position(company::text IN bumped) > 0 THEN RETURN; END IF;
  -- A company deleted in this transaction has no version left to bump (its row went with it).
  INSERT INTO issue_list_versions (company_id, version)
    SELECT company, nextval('issue_list_version_seq') WHERE EXISTS (SELECT 1 FROM companies WHERE id = company)
    ON CONFLICT (company_id) DO UPDATE SET version = nextval('issue_list_version_seq');
  PERFORM set_config('staple.issue_list_bumped', bumped || company::text || ',', true);
END $$;

CREATE FUNCTION staple_issue_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM staple_bump_issue_list_version(OLD.company_id); END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM staple_bump_issue_list_version(NEW.company_id); END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER issues_list_version AFTER INSERT OR UPDATE OR DELETE ON issues
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION staple_issue_list_changed();
CREATE CONSTRAINT TRIGGER issue_labels_list_version AFTER INSERT OR UPDATE OR DELETE ON issue_labels
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION staple_issue_list_changed();
CREATE CONSTRAINT TRIGGER labels_list_version AFTER INSERT OR UPDATE OR DELETE ON labels
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION staple_issue_list_changed();
