import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimQueuedRuns } from "../src/runs/claim.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";
import { createTestApp, type TestApp } from "./helpers/test-app.js";
import { onPostgres } from "./helpers/test-db.js";

/**
 * The claim never waits for an issue row (runs/claim.ts, lock order): an issue write that wakes
 * (a comment) holds the issue and then coalesces into the queued run, while the claim holds the run
 * and stamps the issue, so waiting there deadlocked (seen in CI: a comment answered 500 "deadlock
 * detected"). A candidate whose issue is held is passed over (`contended`) and claimed by the next
 * pass. Postgres only: the embedded database runs one transaction at a time.
 */
describe.skipIf(!onPostgres())("the claim passes over a candidate whose issue row another transaction holds", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.tdb.drop();
  });

  it("contended while the issue is held, claimed once it is free, and no deadlock with a writer that then touches the run", async () => {
    const company = await createCompany(app);
    const agent = await createAgent(app, company.id);
    const issue = await createIssue(app, company.id, { assigneeAgentId: agent.id, status: "todo" });
    const [queued] = await app.tdb.db.query<{ id: string }>("SELECT id FROM heartbeat_runs WHERE agent_id = $1 AND status = 'queued'", [
      agent.id,
    ]);
    expect(queued, "the assignment queued a run").toBeTruthy();

    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let held!: () => void;
    const isHeld = new Promise<void>((r) => (held = r));
    // A writer in the comment's order: the issue row first, then (after the claim ran) the run row.
    const writer = app.tdb.db.tx(async (q) => {
      await q.query("UPDATE issues SET updated_at = now() WHERE id = $1", [issue.id]);
      held();
      await released;
      await q.query("UPDATE heartbeat_runs SET updated_at = now() WHERE id = $1", [queued!.id]);
    });
    await isHeld;
    const first = await claimQueuedRuns(app.tdb.db, agent.id, "test-owner", 30_000);
    expect(first).toMatchObject({ claimed: [], cancelled: [], contended: true });
    release();
    await writer;

    const second = await claimQueuedRuns(app.tdb.db, agent.id, "test-owner", 30_000);
    expect(second.claimed.map((r) => r.id)).toEqual([queued!.id]);
    expect(second.contended).toBe(false);
    const [row] = await app.tdb.db.query<{ executionRunId: string }>("SELECT execution_run_id FROM issues WHERE id = $1", [issue.id]);
    expect(row!.executionRunId).toBe(queued!.id);
  });
});
