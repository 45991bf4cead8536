import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";
import { reconcileStrandedAssignedIssues } from "../src/runs/recovery/stranded.js";
import { decideEscalation, type EscalationFacts } from "../src/runs/recovery/episode.js";
import { RECOVERY_CLOSED_REASON } from "../src/runs/recovery/escalation.js";

// Item 7 of the board walk-through: three issues left in_progress by a failing script agent produced
// 56 "Recover stalled issue" issues in two minutes, because the manager's agent closed every
// recovery issue at once and the next pass opened a new one. Recovery must never loop.
const t = useTestServer({ runtime: { recovery: { strandedReconciliation: false } } });
const reconcile = (companyId: string) =>
  reconcileStrandedAssignedIssues(t.current.tdb.db, t.current.services.engine.enqueuer, { companyId });

describe("decideEscalation (one escalation per stranded episode)", () => {
  const base: EscalationFacts = { openRecoveryId: null, lastClosedRecovery: null, sourceMovedSince: false, alreadyBlockedInPlace: false };
  const closed = { id: "r1", status: "done" };
  it.each([
    ["first escalation", {}, { kind: "create" }],
    ["an open recovery issue is reused", { openRecoveryId: "r0" }, { kind: "reuse_open", recoveryIssueId: "r0" }],
    ["open wins over a closed one", { openRecoveryId: "r0", lastClosedRecovery: closed }, { kind: "reuse_open", recoveryIssueId: "r0" }],
    [
      "closed (done), source still stranded",
      { lastClosedRecovery: closed },
      { kind: "block_source_in_place", recoveryIssueId: "r1", comment: true },
    ],
    [
      "closed (cancelled), source still stranded",
      { lastClosedRecovery: { id: "r1", status: "cancelled" } },
      { kind: "block_source_in_place", recoveryIssueId: "r1", comment: true },
    ],
    [
      "already blocked in place: no second comment",
      { lastClosedRecovery: closed, alreadyBlockedInPlace: true },
      { kind: "block_source_in_place", recoveryIssueId: "r1", comment: false },
    ],
    ["the source moved since: a new episode", { lastClosedRecovery: closed, sourceMovedSince: true }, { kind: "create" }],
  ] as [string, Partial<EscalationFacts>, ReturnType<typeof decideEscalation>][])("%s", (_label, patch, expected) => {
    expect(decideEscalation({ ...base, ...patch })).toEqual(expected);
  });
});

/** A process agent that closes the issue it was woken for at once, through the API, from its run. */
const closesAtOnce = {
  adapterConfig: {
    command: process.execPath,
    args: [
      "-e",
      `const e = process.env;
       if (!e.PAPERCLIP_TASK_ID) process.exit(0);
       fetch(e.PAPERCLIP_API_URL + "/api/issues/" + e.PAPERCLIP_TASK_ID, {
         method: "PATCH",
         headers: { "content-type": "application/json", authorization: "Bearer " + e.PAPERCLIP_API_KEY, "x-paperclip-run-id": e.PAPERCLIP_RUN_ID },
         body: JSON.stringify({ status: "done" }),
       }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));`,
    ],
    timeoutSec: 30,
    graceSec: 1,
  },
};
const alwaysFails = { adapterConfig: { command: "/bin/sh", args: ["-c", "exit 1"], timeoutSec: 30, graceSec: 1 } };

async function settled(companyId: string) {
  await waitFor(
    "no queued or running runs",
    async () => {
      const [row] = await t.current.tdb.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM heartbeat_runs WHERE company_id = $1 AND status IN ('queued', 'running')",
        [companyId],
      );
      return row!.n === 0;
    },
    30_000,
  );
}

const recoveriesOf = (sourceId: string) =>
  t.current.tdb.db.query<{ id: string; status: string }>(
    "SELECT id, status FROM issues WHERE origin_kind = 'stranded_issue_recovery' AND origin_id = $1 ORDER BY created_at",
    [sourceId],
  );

describe("recovery never loops", () => {
  it("a manager that closes every recovery issue at once gets exactly one per stranded source over 20 passes", async () => {
    const company = await createCompany(t.current);
    const manager = await createAgent(t.current, company.id, { name: "Manager", ...closesAtOnce });
    const worker = await createAgent(t.current, company.id, { name: "Script", reportsTo: manager.id, ...alwaysFails });
    // Three issues left in_progress by the script agent, whose continuation retry already failed.
    const sources: string[] = [];
    for (let i = 0; i < 3; i++) {
      const issue = await createIssue(t.current, company.id, { status: "backlog" });
      await t.current.tdb.db.query("UPDATE issues SET status = 'in_progress', assignee_agent_id = $2 WHERE id = $1", [issue.id, worker.id]);
      await t.current.tdb.db.query(
        `INSERT INTO heartbeat_runs (id, company_id, agent_id, status, issue_id, error_code, finished_at, context_snapshot)
         VALUES ($1, $2, $3, 'failed', $4, 'adapter_failed', now(), $5::jsonb)`,
        [randomUUID(), company.id, worker.id, issue.id, JSON.stringify({ issueId: issue.id, retryReason: "issue_continuation_needed" })],
      );
      sources.push(issue.id);
    }

    for (let pass = 0; pass < 20; pass++) {
      await reconcile(company.id);
      await settled(company.id);
    }

    for (const source of sources) {
      const recoveries = await recoveriesOf(source);
      expect(recoveries, `recovery issues of ${source}`).toHaveLength(1);
      expect(recoveries[0]!.status).toBe("done"); // the manager did close it
      const issue = (await t.current.get(`/api/issues/${source}`)).body;
      expect(issue.status).toBe("blocked");
      expect(issue.assigneeAgentId).toBe(worker.id);
      // The board sees why: one comment and an activity row naming the closed recovery issue.
      const comments = (await t.current.get(`/api/issues/${source}/comments`)).body as { body: string }[];
      expect(comments.filter((c) => c.body.startsWith("Automatic recovery stopped"))).toHaveLength(1);
      const activity = (await t.current.get(`/api/issues/${source}/activity`)).body as { details: Record<string, unknown> | null }[];
      expect(activity.some((a) => a.details?.reason === RECOVERY_CLOSED_REASON && a.details?.recoveryIssueId === recoveries[0]!.id)).toBe(
        true,
      );
    }

    // The board moves one source back to todo: a new episode, which gets one new recovery issue.
    const [again] = sources;
    expect((await t.current.patch(`/api/issues/${again}`, { status: "todo" })).status).toBe(200);
    for (let pass = 0; pass < 10; pass++) {
      await settled(company.id);
      await reconcile(company.id);
    }
    await settled(company.id);
    expect(await recoveriesOf(again!)).toHaveLength(2);
    expect((await t.current.get(`/api/issues/${again}`)).body.status).toBe("blocked");
    for (const other of sources.slice(1)) expect(await recoveriesOf(other)).toHaveLength(1);
  }, 180_000);
});
