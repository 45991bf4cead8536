import { describe, expect, it } from "vitest";
import { createFakeAdapter, type AdapterExecuteContext, type AdapterResult } from "@staple/adapter-kit";
import { processAdapter } from "@staple/adapter-process";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";

// Recovery steps of finalization (docs/runs.md#finalization): immediate recovery, escalation after the one
// automatic retry, transient failures going to the bounded retry instead, liveness continuations,
// and the missing-comment policy. The fake "claude_local" adapter runs a script chosen per agent.
type Script = (ctx: AdapterExecuteContext) => Promise<AdapterResult> | AdapterResult;
const scripts = new Map<string, Script>();
const ok: AdapterResult = { exitCode: 0, signal: null, timedOut: false };
const fake = createFakeAdapter(async (ctx) => (scripts.get(ctx.agent.id) ?? (() => ok))(ctx));
const t = useTestServer({
  runtime: { adapters: { process: processAdapter, claude_local: fake }, recovery: { strandedReconciliation: false } },
});

async function agentWith(companyId: string, script: Script) {
  const agent = await createAgent(t.current, companyId, { adapterType: "claude_local", adapterConfig: {} });
  scripts.set(agent.id, script);
  return agent;
}
const runsOf = (issueId: string) =>
  t.current.tdb.db.query<{
    id: string;
    status: string;
    errorCode: string | null;
    livenessState: string | null;
    contextSnapshot: Record<string, any>;
    issueCommentStatus: string;
  }>(
    "SELECT id, status, error_code, liveness_state, context_snapshot, issue_comment_status FROM heartbeat_runs WHERE issue_id = $1 ORDER BY created_at",
    [issueId],
  );
const settled = async (issueId: string, count: number) =>
  waitFor(`${count} settled runs`, async () => {
    const runs = await runsOf(issueId);
    return runs.length >= count &&
      runs.every((r) => ["succeeded", "failed", "cancelled", "timed_out", "scheduled_retry"].includes(r.status))
      ? runs
      : null;
  });
const quiet = () => new Promise((r) => setTimeout(r, 700)); // a few scheduler ticks: nothing more may happen

describe("finalization recovery", () => {
  it("retries a failed run once at once, then blocks the issue on a recovery issue that itself blocks in place", async () => {
    const company = await createCompany(t.current);
    const agent = await agentWith(company.id, () => ({
      exitCode: 1,
      signal: null,
      timedOut: false,
      errorMessage: "boom with sk-live-secret",
      errorCode: "adapter_failed",
    }));
    const issue = await createIssue(t.current, company.id, { status: "todo", assigneeAgentId: agent.id });
    await waitFor("source blocked", async () => (await t.current.get(`/api/issues/${issue.id}`)).body.status === "blocked");
    const runs = await settled(issue.id, 2);
    expect(runs.map((r) => r.contextSnapshot.retryReason ?? null)).toEqual([null, "issue_continuation_needed"]);
    const source = (await t.current.get(`/api/issues/${issue.id}`)).body;
    const recoveryId = source.blockedBy[0].id;
    await waitFor(
      "recovery issue blocked in place",
      async () => (await t.current.get(`/api/issues/${recoveryId}`)).body.status === "blocked",
    );
    await quiet();
    expect(await runsOf(issue.id)).toHaveLength(2);
    expect((await runsOf(recoveryId)).length).toBeLessThanOrEqual(2);
    const nested = await t.current.tdb.db.query("SELECT id FROM issues WHERE origin_id = $1", [recoveryId]);
    expect(nested).toHaveLength(0);
    const comments = (await t.current.get(`/api/issues/${issue.id}/comments`)).body.map((c: { body: string }) => c.body).join("\n");
    expect(comments).toContain("retried continuation");
    expect(comments).not.toContain("sk-live-secret");
  });

  it("sends a transient upstream failure to the bounded retry instead of blocking", async () => {
    const company = await createCompany(t.current);
    const agent = await agentWith(company.id, () => ({
      exitCode: 1,
      signal: null,
      timedOut: false,
      errorMessage: "overloaded",
      errorCode: "claude_transient_upstream",
      errorFamily: "transient_upstream",
    }));
    const issue = await createIssue(t.current, company.id, { status: "todo", assigneeAgentId: agent.id });
    const runs = await waitFor("scheduled retry", async () => {
      const rs = await runsOf(issue.id);
      return rs.some((r) => r.status === "scheduled_retry") ? rs : null;
    });
    expect(runs.map((r) => r.status)).toEqual(["failed", "scheduled_retry"]);
    await quiet();
    expect((await t.current.get(`/api/issues/${issue.id}`)).body.status).not.toBe("blocked");
    expect((await runsOf(issue.id)).length).toBe(2);
  });

  it("continues a plan-only run at most twice, then says so once", async () => {
    const company = await createCompany(t.current);
    const agent = await agentWith(company.id, () => ({ ...ok, summary: "I will inspect the repo next and then implement the fix." }));
    const issue = await createIssue(t.current, company.id, { status: "todo", assigneeAgentId: agent.id });
    const runs = await settled(issue.id, 3);
    await quiet();
    const all = await runsOf(issue.id);
    expect(all).toHaveLength(3);
    expect(all.map((r) => r.livenessState)).toEqual(["plan_only", "plan_only", "plan_only"]);
    const wakes = await t.current.tdb.db.query<{ payload: Record<string, unknown> }>(
      "SELECT payload FROM agent_wakeup_requests WHERE issue_id = $1 AND reason = 'run_liveness_continuation' ORDER BY created_at",
      [issue.id],
    );
    expect(wakes.map((w) => w.payload.continuationAttempt)).toEqual([1, 2]);
    expect(wakes[0]!.payload).toMatchObject({ issueId: issue.id, livenessState: "plan_only", sourceRunId: runs[0]!.id });
    const comments = (await t.current.get(`/api/issues/${issue.id}/comments`)).body;
    expect(comments.filter((c: { body: string }) => c.body.startsWith("Bounded liveness continuation exhausted"))).toHaveLength(1);
  });

  it("treats a plan document written by the run as progress: no continuation", async () => {
    const company = await createCompany(t.current);
    const agent = await agentWith(company.id, async (ctx) => {
      const res = await fetch(`${ctx.env.PAPERCLIP_API_URL}/api/issues/${ctx.env.PAPERCLIP_TASK_ID}/documents/plan`, {
        method: "PUT",
        headers: { authorization: `Bearer ${ctx.env.PAPERCLIP_API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ format: "markdown", body: "# Plan\n- Inspect files\n- Implement fix" }),
      });
      if (!res.ok) throw new Error(`plan write failed: ${res.status}`);
      return { ...ok, summary: "Plan:\n- Inspect files\n- Implement fix" };
    });
    const issue = await createIssue(t.current, company.id, { status: "todo", assigneeAgentId: agent.id });
    const [run] = await settled(issue.id, 1);
    await quiet();
    expect(run!.livenessState).toBe("advanced");
    const continuations = await t.current.tdb.db.query(
      "SELECT id FROM agent_wakeup_requests WHERE issue_id = $1 AND reason = 'run_liveness_continuation'",
      [issue.id],
    );
    expect(continuations).toHaveLength(0);
  });

  it("asks once for the missing comment of an assignment run, never twice", async () => {
    const company = await createCompany(t.current);
    const agent = await agentWith(company.id, () => ok); // succeeds, says nothing, writes nothing
    const issue = await createIssue(t.current, company.id, { status: "todo", assigneeAgentId: agent.id });
    const runs = await settled(issue.id, 2);
    await quiet();
    const all = await runsOf(issue.id);
    const commentRetries = all.filter((r) => r.contextSnapshot.retryReason === "missing_issue_comment");
    expect(commentRetries).toHaveLength(1);
    expect(runs[0]!.issueCommentStatus).toBe("retry_queued");
    expect(commentRetries[0]!.issueCommentStatus).toBe("retry_exhausted");
  });
});
