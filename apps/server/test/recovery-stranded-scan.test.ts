import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";
import { createStrandedScanner } from "../src/runs/recovery/stranded-scan.js";

// The periodic pass's incremental view of the stranded-issue reconciliation
// (docs/runs.md#stranded-issue-reconciliation): a full pass first, then only changed issues plus a
// rolling slice, so every issue is still probed within ceil(open / slice) passes.
const t = useTestApp();

const OPEN = 6;

/** A company whose OPEN issues are assigned and whose latest runs succeeded two hours ago: nothing to do, nothing changed lately. */
async function quietCompany() {
  const app = t.current;
  const company = await createCompany(app);
  const agent = await createAgent(app, company.id);
  const ids: string[] = [];
  for (let i = 0; i < OPEN; i++) {
    const issue = await createIssue(app, company.id, { status: "backlog" });
    ids.push(issue.id);
    await app.tdb.db.query(
      `INSERT INTO heartbeat_runs (id, company_id, agent_id, status, issue_id, finished_at, created_at, context_snapshot)
       VALUES ($1, $2, $3, 'succeeded', $4, now() - interval '2 hours', now() - interval '2 hours', '{}'::jsonb)`,
      [randomUUID(), company.id, agent.id, issue.id],
    );
  }
  await app.tdb.db.query(
    "UPDATE issues SET status = 'todo', assignee_agent_id = $2, updated_at = now() - interval '2 hours' WHERE company_id = $1",
    [company.id, agent.id],
  );
  await app.tdb.db.query("UPDATE agents SET updated_at = now() - interval '2 hours' WHERE id = $1", [agent.id]);
  return { company, agent, ids: ids.sort() };
}

/** The issue's latest run becomes a failure; `quietly` dates it two hours back, so no change signal shows it. */
async function strand(companyId: string, agentId: string, issueId: string, quietly: boolean) {
  const at = quietly ? "now() - interval '1 hour'" : "now()";
  await t.current.tdb.db.query(
    `INSERT INTO heartbeat_runs (id, company_id, agent_id, status, issue_id, error_code, finished_at, created_at, context_snapshot)
     VALUES ($1, $2, $3, 'failed', $4, 'adapter_failed', ${at}, ${at}, '{}'::jsonb)`,
    [randomUUID(), companyId, agentId, issueId],
  );
}

describe("stranded scanner", () => {
  it("after a full first pass probes changed issues at once and the rest slice by slice, each within ceil(open / slice) passes", async () => {
    const { company, agent, ids } = await quietCompany();
    const scanner = createStrandedScanner({ sliceSize: 2, marginMs: 0 });
    const { db } = t.current.tdb;
    const { enqueuer } = t.current.services.engine;

    const first = await scanner.pass(db, enqueuer);
    expect(first.issueIds).toEqual([]);
    expect(first.skipped).toBeGreaterThanOrEqual(OPEN); // the full pass saw every open issue

    // The last issue in id order is stranded without any change signal: the slice reaches it on
    // the third pass after the full one (slices [0,1], [2,3], [4,5]); nothing finds it earlier.
    await strand(company.id, agent.id, ids[OPEN - 1]!, true);
    // The first issue is stranded by a run that finished now: the very next pass acts on it.
    await strand(company.id, agent.id, ids[0]!, false);

    const passes: string[][] = [];
    for (let i = 0; i < Math.ceil(OPEN / 2); i++) passes.push((await scanner.pass(db, enqueuer)).issueIds);
    expect(passes[0]).toEqual([ids[0]]);
    expect(passes[1]).toEqual([]);
    expect(passes[2]).toEqual([ids[OPEN - 1]]);

    const runs = await db.query<{ issueId: string; retryReason: string }>(
      "SELECT issue_id, context_snapshot->>'retryReason' AS retry_reason FROM heartbeat_runs WHERE company_id = $1 AND status = 'queued' ORDER BY issue_id",
      [company.id],
    );
    expect(runs).toEqual([
      { issueId: ids[0], retryReason: "assignment_recovery" },
      { issueId: ids[OPEN - 1], retryReason: "assignment_recovery" },
    ]);
  });

  it("a restarted scanner (no state) probes everything again", async () => {
    const { company, agent, ids } = await quietCompany();
    const { db } = t.current.tdb;
    const { enqueuer } = t.current.services.engine;
    const before = createStrandedScanner({ sliceSize: 1, marginMs: 0 });
    await before.pass(db, enqueuer);
    await strand(company.id, agent.id, ids[3]!, true);
    const restarted = createStrandedScanner({ sliceSize: 1, marginMs: 0 });
    expect((await restarted.pass(db, enqueuer)).issueIds).toContain(ids[3]);
  });

  it("an issue updated since the last pass (reassigned to todo) is probed on the next pass", async () => {
    const { company, ids } = await quietCompany();
    const { db } = t.current.tdb;
    const { enqueuer } = t.current.services.engine;
    const scanner = createStrandedScanner({ sliceSize: 1, marginMs: 0 });
    await scanner.pass(db, enqueuer);
    // Moved to a new agent that never ran it: a todo issue with no run must be dispatched.
    const other = await createAgent(t.current, company.id);
    await db.query("UPDATE issues SET assignee_agent_id = $2, updated_at = now() WHERE id = $1", [ids[4], other.id]);
    await db.query("DELETE FROM heartbeat_runs WHERE issue_id = $1", [ids[4]]);
    const next = await scanner.pass(db, enqueuer);
    expect(next.issueIds).toEqual([ids[4]]);
    expect(next.assignmentDispatched).toBe(1);
  });
});
