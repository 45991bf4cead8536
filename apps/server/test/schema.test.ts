import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  APPROVAL_STATUSES,
  APPROVAL_TYPES,
  BUDGET_INCIDENT_STATUSES,
  BUDGET_METRICS,
  BUDGET_SCOPE_TYPES,
  BUDGET_THRESHOLD_TYPES,
  BUDGET_WINDOW_KINDS,
  ENVIRONMENT_DRIVERS,
  ENVIRONMENT_LEASE_STATUSES,
  ENVIRONMENT_STATUSES,
  TREE_HOLD_MODES,
  TREE_HOLD_STATUSES,
  ACTOR_TYPES,
  ADAPTER_TYPES,
  AGENT_ROLES,
  BILLING_TYPES,
  AGENT_STATUSES,
  COMPANY_STATUSES,
  DOCUMENT_FORMATS,
  GOAL_LEVELS,
  GOAL_STATUSES,
  INTERACTION_CONTINUATION_POLICIES,
  INTERACTION_KINDS,
  INTERACTION_RESOLVER_POLICIES,
  INTERACTION_RESOLVER_PROVENANCES,
  INTERACTION_STATUSES,
  CONFIG_REVISION_SOURCES,
  ISSUE_COMMENT_STATUSES,
  ISSUE_ORIGIN_KINDS,
  ISSUE_PRIORITIES,
  ISSUE_RELATION_TYPES,
  ISSUE_STATUSES,
  ISSUE_WORK_MODES,
  ROUTINE_CATCH_UP_POLICIES,
  ROUTINE_CONCURRENCY_POLICIES,
  ROUTINE_RUN_SOURCES,
  ROUTINE_RUN_STATUSES,
  EXECUTION_WORKSPACE_STATUSES,
  ROUTINE_SIGNING_MODES,
  ROUTINE_STATUSES,
  ROUTINE_TRIGGER_KINDS,
  PAUSE_REASONS,
  PROJECT_STATUSES,
  RUN_EVENT_LEVELS,
  RUN_EVENT_STREAMS,
  RUN_LIVENESS_STATES,
  RUN_STATUSES,
  WAKE_SOURCES,
  WAKE_TRIGGER_DETAILS,
  WAKEUP_STATUSES,
  WORK_PRODUCT_STATUSES,
  WORK_PRODUCT_TYPES,
} from "@staple/contracts";
import { CLI_AUTH_CHALLENGE_STATUSES, COMPANY_ROLES, JOIN_REQUEST_STATUSES, QUOTA_CREDENTIAL_KINDS } from "@staple/contracts";
import { RUNNER_STATUSES } from "@staple/contracts";
import { INBOX_ITEM_KINDS } from "@staple/contracts";
import { useTestApp } from "./helpers/test-app.js";
import { loadMigrations, migrate, MIGRATIONS_DIR, pendingMigrations, splitStatements, type Migration } from "../src/db/migrate.js";

const t = useTestApp();

/** Every enum-like CHECK constraint in the schema and the contracts constant it must mirror. */
const ENUM_CHECKS: Record<string, readonly string[]> = {
  companies_status_check: COMPANY_STATUSES,
  companies_pause_reason_check: PAUSE_REASONS,
  agents_role_check: AGENT_ROLES,
  agents_status_check: AGENT_STATUSES,
  agents_adapter_type_check: ADAPTER_TYPES,
  agents_pause_reason_check: PAUSE_REASONS,
  goals_level_check: GOAL_LEVELS,
  goals_status_check: GOAL_STATUSES,
  projects_status_check: PROJECT_STATUSES,
  projects_pause_reason_check: PAUSE_REASONS,
  issues_status_check: ISSUE_STATUSES,
  issues_work_mode_check: ISSUE_WORK_MODES,
  issues_priority_check: ISSUE_PRIORITIES,
  issues_origin_kind_check: ISSUE_ORIGIN_KINDS,
  issue_relations_type_check: ISSUE_RELATION_TYPES,
  issue_comments_author_type_check: ACTOR_TYPES,
  documents_format_check: DOCUMENT_FORMATS,
  issue_work_products_type_check: WORK_PRODUCT_TYPES,
  issue_work_products_status_check: WORK_PRODUCT_STATUSES,
  activity_log_actor_type_check: ACTOR_TYPES,
  agent_wakeup_requests_source_check: WAKE_SOURCES,
  agent_wakeup_requests_trigger_detail_check: WAKE_TRIGGER_DETAILS,
  agent_wakeup_requests_status_check: WAKEUP_STATUSES,
  agent_wakeup_requests_actor_type_check: ACTOR_TYPES,
  heartbeat_runs_invocation_source_check: WAKE_SOURCES,
  heartbeat_runs_status_check: RUN_STATUSES,
  heartbeat_runs_issue_comment_status_check: ISSUE_COMMENT_STATUSES,
  heartbeat_runs_liveness_state_check: RUN_LIVENESS_STATES,
  heartbeat_run_events_stream_check: RUN_EVENT_STREAMS,
  heartbeat_run_log_chunks_stream_check: RUN_EVENT_STREAMS,
  runners_status_check: RUNNER_STATUSES,
  heartbeat_run_events_level_check: RUN_EVENT_LEVELS,
  cost_events_billing_type_check: BILLING_TYPES,
  issue_tree_holds_mode_check: TREE_HOLD_MODES,
  issue_tree_holds_status_check: TREE_HOLD_STATUSES,
  approvals_type_check: APPROVAL_TYPES,
  approvals_status_check: APPROVAL_STATUSES,
  budget_policies_scope_type_check: BUDGET_SCOPE_TYPES,
  budget_policies_metric_check: BUDGET_METRICS,
  budget_policies_window_kind_check: BUDGET_WINDOW_KINDS,
  budget_incidents_threshold_type_check: BUDGET_THRESHOLD_TYPES,
  budget_incidents_status_check: BUDGET_INCIDENT_STATUSES,
  environments_driver_check: ENVIRONMENT_DRIVERS,
  environments_status_check: ENVIRONMENT_STATUSES,
  environment_leases_status_check: ENVIRONMENT_LEASE_STATUSES,
  issue_inbox_archives_actor_type_check: ACTOR_TYPES,
  agent_config_revisions_source_check: CONFIG_REVISION_SOURCES,
  issue_thread_interactions_kind_check: INTERACTION_KINDS,
  issue_thread_interactions_status_check: INTERACTION_STATUSES,
  issue_thread_interactions_continuation_policy_check: INTERACTION_CONTINUATION_POLICIES,
  issue_thread_interactions_requested_resolver_policy_check: INTERACTION_RESOLVER_POLICIES,
  issue_thread_interactions_effective_resolver_policy_check: INTERACTION_RESOLVER_POLICIES,
  issue_thread_interactions_resolver_policy_provenance_check: INTERACTION_RESOLVER_PROVENANCES,
  routines_priority_check: ISSUE_PRIORITIES,
  routines_status_check: ROUTINE_STATUSES,
  routines_concurrency_policy_check: ROUTINE_CONCURRENCY_POLICIES,
  routines_catch_up_policy_check: ROUTINE_CATCH_UP_POLICIES,
  routine_triggers_kind_check: ROUTINE_TRIGGER_KINDS,
  routine_triggers_signing_mode_check: ROUTINE_SIGNING_MODES,
  routine_runs_source_check: ROUTINE_RUN_SOURCES,
  routine_runs_status_check: ROUTINE_RUN_STATUSES,
  execution_workspaces_status_check: EXECUTION_WORKSPACE_STATUSES,
  company_memberships_role_check: COMPANY_ROLES,
  company_invites_role_check: COMPANY_ROLES,
  company_join_requests_role_check: COMPANY_ROLES,
  company_join_requests_status_check: JOIN_REQUEST_STATUSES,
  cli_auth_challenges_status_check: CLI_AUTH_CHALLENGE_STATUSES,
  provider_quota_holds_kind_check: QUOTA_CREDENTIAL_KINDS,
  inbox_item_states_item_kind_check: INBOX_ITEM_KINDS,
};

/** A CHECK that only compares one column with string literals: `col = ANY (ARRAY['a'::text, …])` or `col = 'a'::text`. */
const ENUM_CHECK_DEF_RE =
  /^CHECK \(\(?\(?"?\w+"?\)? = (?:ANY \(\(?ARRAY\[(?:'(?:[^']|'')*'::text(?:, )?)+\]\)?(?:::text\[\])?\)|'(?:[^']|'')*'::text)\)\)?$/;

function literalsOf(def: string): string[] {
  return [...def.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replace(/''/g, "'"));
}

interface CheckRow {
  name: string;
  tableName: string;
  def: string;
}

async function checkConstraints(): Promise<CheckRow[]> {
  return t.current.tdb.db.query<CheckRow>(
    `SELECT c.conname AS name, rel.relname AS table_name, pg_get_constraintdef(c.oid) AS def
       FROM pg_constraint c
       JOIN pg_class rel ON rel.oid = c.conrelid
       JOIN pg_namespace n ON n.oid = rel.relnamespace
      WHERE c.contype = 'c' AND n.nspname = current_schema()
      ORDER BY c.conname`,
  );
}

describe("enum CHECK constraints mirror the contracts constants", () => {
  it("literal parsing handles quotes and both constraint shapes", () => {
    expect(literalsOf("CHECK ((status = ANY (ARRAY['a'::text, 'b_c'::text])))")).toEqual(["a", "b_c"]);
    expect(literalsOf("CHECK ((work_mode = 'standard'::text))")).toEqual(["standard"]);
    expect(literalsOf("CHECK ((x = ANY (ARRAY['it''s'::text])))")).toEqual(["it's"]);
    expect(ENUM_CHECK_DEF_RE.test("CHECK ((status = ANY (ARRAY['a'::text, 'b_c'::text])))")).toBe(true);
    expect(ENUM_CHECK_DEF_RE.test("CHECK ((work_mode = 'standard'::text))")).toBe(true);
    expect(ENUM_CHECK_DEF_RE.test("CHECK (((request_depth >= 0) AND (request_depth <= 1024)))")).toBe(false);
    expect(ENUM_CHECK_DEF_RE.test("CHECK ((issue_id <> related_issue_id))")).toBe(false);
  });

  for (const [name, constant] of Object.entries(ENUM_CHECKS)) {
    it(`${name} allows exactly the values of its constant`, async () => {
      const rows = await checkConstraints();
      const row = rows.find((r) => r.name === name);
      expect(row, `constraint ${name} exists`).toBeDefined();
      const values = literalsOf(row!.def);
      expect(values.length, row!.def).toBeGreaterThan(0);
      expect(new Set(values).size, "no duplicates in the CHECK list").toBe(values.length);
      expect(new Set(constant).size, "no duplicates in the constant").toBe(constant.length);
      expect([...values].sort()).toEqual([...constant].sort());
    });
  }

  it("every enum-like CHECK constraint of the schema is covered by the table above", async () => {
    const rows = await checkConstraints();
    const enumLike = rows.filter((r) => ENUM_CHECK_DEF_RE.test(r.def)).map((r) => r.name);
    expect(enumLike.length).toBeGreaterThanOrEqual(Object.keys(ENUM_CHECKS).length);
    expect(enumLike.filter((name) => !(name in ENUM_CHECKS))).toEqual([]);
    // And the table names no constraint that the schema lacks.
    const names = new Set(rows.map((r) => r.name));
    expect(Object.keys(ENUM_CHECKS).filter((name) => !names.has(name))).toEqual([]);
  });

  it("the constraints are enforced: a value outside the constant is refused (23514)", async () => {
    const db = t.current.tdb.db;
    await expect(db.query("INSERT INTO companies (name, issue_prefix, status) VALUES ('x', 'ZZCHK1', 'bogus')")).rejects.toMatchObject({
      code: "23514",
    });
    for (const status of COMPANY_STATUSES) {
      await db.query("INSERT INTO companies (name, issue_prefix, status) VALUES ('x', $1, $2)", [`ZZ${status.toUpperCase()}`, status]);
    }
    const [company] = await db.query<{ id: string }>("SELECT id FROM companies WHERE issue_prefix = 'ZZACTIVE'");
    await expect(
      db.query(
        "INSERT INTO activity_log (company_id, actor_type, actor_id, action, entity_type, entity_id) VALUES ($1, 'robot', 'r', 'a', 'b', 'c')",
        [company!.id],
      ),
    ).rejects.toMatchObject({ code: "23514" });
    for (const actorType of ACTOR_TYPES) {
      await db.query(
        "INSERT INTO activity_log (company_id, actor_type, actor_id, action, entity_type, entity_id) VALUES ($1, $2, 'r', 'a', 'b', 'c')",
        [company!.id, actorType],
      );
    }
  });
});

describe("migrations", () => {
  const tempDirs: string[] = [];
  afterAll(() => {
    for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  function tempDir(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-migrations-"));
    tempDirs.push(dir);
    for (const [name, sql] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), sql);
    return dir;
  }

  it("the shipped migrations are numbered 1..n and named NNNN_description.sql", () => {
    const files = fs
      .readdirSync(MIGRATIONS_DIR)
      .filter((f) => f.endsWith(".sql"))
      .sort();
    const migrations = loadMigrations();
    expect(migrations.length).toBe(files.length);
    expect(migrations.length).toBeGreaterThanOrEqual(2);
    migrations.forEach((m, i) => {
      expect(m.id).toBe(i + 1);
      expect(files[i]).toBe(`${String(m.id).padStart(4, "0")}_${m.name}.sql`);
      expect(m.sql.length).toBeGreaterThan(0);
    });
  });

  it("staple_migrations lists 1..n in order with the migration names", async () => {
    const rows = await t.current.tdb.db.query<{ id: number; name: string; appliedAt: unknown }>(
      "SELECT id, name, applied_at FROM staple_migrations ORDER BY id",
    );
    const migrations = loadMigrations();
    expect(rows.map((r) => [r.id, r.name])).toEqual(migrations.map((m) => [m.id, m.name]));
    for (const row of rows) expect(row.appliedAt).toBeTruthy();
  });

  it("running migrate again applies nothing and changes nothing", async () => {
    const db = t.current.tdb.db;
    const before = await db.query("SELECT id, name, applied_at FROM staple_migrations ORDER BY id");
    expect(await pendingMigrations(db)).toBe(0);
    expect(await migrate(db)).toEqual([]);
    expect(await migrate(db)).toEqual([]);
    expect(await db.query("SELECT id, name, applied_at FROM staple_migrations ORDER BY id")).toEqual(before);
  });

  it("a new migration is applied once and recorded; a failing one rolls back entirely", async () => {
    const db = t.current.tdb.db;
    const base = loadMigrations();
    const next = base.length + 1;
    const extra: Migration = {
      id: next,
      name: "schema_test_extra",
      sql: "-- test migration\nCREATE TABLE schema_test_extra (id int PRIMARY KEY, note text DEFAULT 'a;b');\nINSERT INTO schema_test_extra (id) VALUES (1);",
    };
    expect(await pendingMigrations(db, [...base, extra])).toBe(1);
    expect(await migrate(db, [...base, extra])).toEqual([`${String(next).padStart(4, "0")}_schema_test_extra`]);
    expect(await db.query("SELECT id, note FROM schema_test_extra")).toEqual([{ id: 1, note: "a;b" }]);
    expect(await migrate(db, [...base, extra])).toEqual([]);

    const failing: Migration = {
      id: next + 1,
      name: "schema_test_failing",
      sql: "CREATE TABLE schema_test_partial (id int);\nINSERT INTO schema_test_partial VALUES (1);\nSELECT 1 / 0;",
    };
    await expect(migrate(db, [...base, extra, failing])).rejects.toThrow();
    const [exists] = await db.query<{ exists: boolean }>("SELECT to_regclass('schema_test_partial') IS NOT NULL AS exists");
    expect(exists!.exists).toBe(false);
    const ids = (await db.query<{ id: number }>("SELECT id FROM staple_migrations ORDER BY id")).map((r) => r.id);
    expect(ids).toEqual([...base.map((m) => m.id), next]);
    expect(await pendingMigrations(db, [...base, extra, failing])).toBe(1);
  });

  it("loadMigrations reads a directory in order and ignores non-.sql files", () => {
    const dir = tempDir({
      "0002_second.sql": "SELECT 2;",
      "0001_first.sql": "SELECT 1;",
      "README.md": "not a migration",
    });
    expect(loadMigrations(dir)).toEqual([
      { id: 1, name: "first", sql: "SELECT 1;" },
      { id: 2, name: "second", sql: "SELECT 2;" },
    ]);
  });

  it("loadMigrations rejects a bad file name", () => {
    for (const bad of ["1_first.sql", "0001-first.sql", "0001_First.sql", "0001_.sql", "00001_first.sql", "0001_first name.sql"]) {
      const dir = tempDir({ [bad]: "SELECT 1;" });
      expect(() => loadMigrations(dir), bad).toThrow(/0001_description\.sql/);
    }
  });

  it("loadMigrations rejects a gap, a duplicate number or a start other than 1", () => {
    expect(() => loadMigrations(tempDir({ "0001_a.sql": "", "0003_c.sql": "" }))).toThrow(/without gaps/);
    expect(() => loadMigrations(tempDir({ "0002_b.sql": "" }))).toThrow(/without gaps/);
    expect(() => loadMigrations(tempDir({ "0001_a.sql": "", "0001_b.sql": "" }))).toThrow(/without gaps/);
    expect(loadMigrations(tempDir({}))).toEqual([]);
  });
});

describe("splitStatements", () => {
  const cases: [string, string, string[]][] = [
    ["empty script", "", []],
    ["whitespace and comments only", "  \n-- just a comment; with a semicolon\n  ", []],
    ["one statement without a trailing semicolon", "SELECT 1", ["SELECT 1"]],
    ["two statements", "SELECT 1; SELECT 2;", ["SELECT 1", "SELECT 2"]],
    ["empty statements are dropped", ";;SELECT 1;;\n;", ["SELECT 1"]],
    ["a line comment with a semicolon", "SELECT 1; -- not; a statement\nSELECT 2;", ["SELECT 1", "SELECT 2"]],
    ["a comment at the end without a newline", "SELECT 1; -- trailing; comment", ["SELECT 1"]],
    [
      "a comment inside a statement",
      "CREATE TABLE t (\n  a int, -- first; column\n  b int\n);",
      ["CREATE TABLE t (\n  a int, \n  b int\n)"],
    ],
    ["a quoted semicolon", "INSERT INTO t VALUES ('a;b'); SELECT 2;", ["INSERT INTO t VALUES ('a;b')", "SELECT 2"]],
    ["a quoted comment marker", "SELECT '-- not a comment;'; SELECT 2;", ["SELECT '-- not a comment;'", "SELECT 2"]],
    ["doubled quotes inside a string", "SELECT 'it''s; fine'; SELECT 2;", ["SELECT 'it''s; fine'", "SELECT 2"]],
    [
      "a $$ body",
      "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql; SELECT f();",
      ["CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql", "SELECT f()"],
    ],
    [
      "a tagged $body$ with $$ and quotes inside",
      "DO $body$ BEGIN PERFORM 'x;'; PERFORM $$;$$; END $body$; SELECT 3;",
      ["DO $body$ BEGIN PERFORM 'x;'; PERFORM $$;$$; END $body$", "SELECT 3"],
    ],
    ["a positional parameter is not a dollar quote", "SELECT $1; SELECT 2;", ["SELECT $1", "SELECT 2"]],
    [
      "statements keep their inner newlines",
      "CREATE TABLE a (\n  id int\n);\nCREATE INDEX a_idx ON a (id);",
      ["CREATE TABLE a (\n  id int\n)", "CREATE INDEX a_idx ON a (id)"],
    ],
  ];
  for (const [name, sql, expected] of cases) {
    it(name, () => {
      expect(splitStatements(sql)).toEqual(expected);
    });
  }

  it("an unterminated quote or dollar body ends the script instead of looping", () => {
    expect(splitStatements("SELECT 1; SELECT 'oops; SELECT 2")).toEqual(["SELECT 1", "SELECT 'oops; SELECT 2"]);
    expect(splitStatements("SELECT 1; DO $$ BEGIN; SELECT 2")).toEqual(["SELECT 1", "DO $$ BEGIN; SELECT 2"]);
  });

  it("splits the shipped migrations into statements that all run (they did, to build this database)", () => {
    for (const migration of loadMigrations()) {
      const statements = splitStatements(migration.sql);
      expect(statements.length).toBeGreaterThanOrEqual(1);
      for (const s of statements) {
        expect(s).not.toMatch(/^\s*$/);
        expect(s.endsWith(";")).toBe(false);
      }
    }
  });
});
