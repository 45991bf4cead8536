import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { processAdapter } from "@staple/adapter-process";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";

/**
 * examples/paperclip-skill-agent.mjs — a process agent that follows the heartbeat procedure of
 * Paperclip's published skill with only its PAPERCLIP_* environment and fetch — works a task end to
 * end on Staple, then handles the board's approval on the wake that follows. The agent prints one
 * JSON line per request; the run log shows every step's HTTP status.
 */
const t = useTestServer({ runtime: { schedulerIntervalMs: 500, leaseMs: 3000, adapters: { process: processAdapter } } });

const AGENT_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../examples/paperclip-skill-agent.mjs");
const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];

interface Step {
  step: string;
  method: string;
  path: string;
  status: number;
}

/** The agent's request lines from a run's log (stdout chunks joined, then split into lines). */
async function stepsOf(runId: string): Promise<Step[]> {
  const log = await t.current.get(`/api/heartbeat-runs/${runId}/log`);
  expect(log.status).toBe(200);
  const stdout = String(log.body.content)
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { stream: string; chunk: string })
    .filter((e) => e.stream === "stdout")
    .map((e) => e.chunk)
    .join("");
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
}

const finishedRun = (what: string, find: () => Promise<{ id: string; status: string } | undefined>) =>
  waitFor(
    what,
    async () => {
      const run = await find();
      return run && TERMINAL.includes(run.status) ? run : null;
    },
    45_000,
    100,
  );

describe("a script agent following Paperclip's skill", () => {
  it("works a task to in_review (plan, sub-task, attachment, interaction, approval), then closes it when the board approves", async () => {
    const company = await createCompany(t.current);
    const agentRes = await t.current.post(`/api/companies/${company.id}/agents`, {
      name: "Skill Follower",
      role: "engineer",
      adapterType: "process",
      adapterConfig: { command: process.execPath, args: [AGENT_SCRIPT], timeoutSec: 60 },
    });
    expect(agentRes.status).toBe(201);
    const agent = agentRes.body;
    const created = await t.current.post(`/api/companies/${company.id}/issues`, {
      title: "Price the new build farm",
      assigneeAgentId: agent.id,
      status: "todo",
    });
    expect(created.status).toBe(201);
    const issue = created.body;

    // --- first heartbeat: the assignment wake ------------------------------------------------------
    const first = await finishedRun("the assignment run", async () => {
      const [run] = (await t.current.get(`/api/issues/${issue.id}/runs`)).body as { runId: string; status: string }[];
      return run && { id: run.runId, status: run.status };
    });
    const steps = await stepsOf(first.id);
    expect(first.status, JSON.stringify(steps)).toBe("succeeded");
    expect(steps.map((s) => [s.step, s.method, s.status])).toEqual([
      ["identity", "GET", 200],
      ["inbox-lite", "GET", 200],
      ["checkout", "POST", 200],
      ["heartbeat-context", "GET", 200],
      ["plan", "PUT", 201],
      ["subtask", "POST", 201],
      ["attachment", "POST", 201],
      ["interaction", "POST", 201],
      ["approval-request", "POST", 201],
      ["comment", "POST", 201],
      ["labels", "GET", 200],
      ["label-create", "POST", 201],
      ["in-review", "PATCH", 200],
    ]);

    const detail = (await t.current.get(`/api/issues/${issue.id}`)).body;
    expect(detail).toMatchObject({
      status: "in_review",
      assigneeAgentId: agent.id,
      labels: [expect.objectContaining({ name: "needs-board" })],
    });
    const plan = await t.current.get(`/api/issues/${issue.id}/documents/plan`);
    expect(plan.status).toBe(200);
    expect(plan.body.body).toContain(`# Plan for ${issue.identifier}`);
    const revisions = (await t.current.get(`/api/issues/${issue.id}/documents/plan/revisions`)).body;
    expect(revisions).toEqual([expect.objectContaining({ createdByAgentId: agent.id, createdByRunId: first.id })]);
    const children = (await t.current.get(`/api/companies/${company.id}/issues?parentId=${issue.id}`)).body;
    expect(children).toEqual([
      expect.objectContaining({ title: `Checks for ${issue.identifier}`, status: "backlog", createdByAgentId: agent.id }),
    ]);
    const attachments = (await t.current.get(`/api/issues/${issue.id}/attachments`)).body;
    expect(attachments).toEqual([expect.objectContaining({ contentType: "text/plain", originalFilename: "findings.txt" })]);
    const interactions = (await t.current.get(`/api/issues/${issue.id}/interactions`)).body;
    expect(interactions).toEqual([expect.objectContaining({ kind: "request_confirmation", status: "pending" })]);
    const approvals = (await t.current.get(`/api/issues/${issue.id}/approvals`)).body;
    expect(approvals).toEqual([
      expect.objectContaining({ type: "request_board_approval", status: "pending", requestedByAgentId: agent.id }),
    ]);
    const comments = (await t.current.get(`/api/issues/${issue.id}/comments`)).body as {
      body: string;
      authorAgentId: string | null;
      createdByRunId: string | null;
    }[];
    const update = comments.find((c) => c.body.startsWith("## Update"));
    expect(update).toMatchObject({ authorAgentId: agent.id, createdByRunId: first.id });
    expect(update!.body).toContain(`#document-plan`);

    // --- the board approves; the agent is woken with the approval in its environment --------------
    const approvalId = approvals[0].id as string;
    const decided = await t.current.post(`/api/approvals/${approvalId}/approve`, { decisionNote: "Go ahead" });
    expect(decided.status).toBe(200);
    expect(decided.body.status).toBe("approved");
    const second = await finishedRun("the approval run", async () => {
      const [row] = await t.current.tdb.db.query<{ id: string; status: string }>(
        "SELECT id, status FROM heartbeat_runs WHERE context_snapshot->>'approvalId' = $1 AND context_snapshot->>'wakeReason' = 'approval_approved'",
        [approvalId],
      );
      return row;
    });
    const followUp = await stepsOf(second.id);
    expect(second.status, JSON.stringify(followUp)).toBe("succeeded");
    expect(followUp.map((s) => [s.step, s.method, s.path, s.status])).toEqual([
      ["identity", "GET", "/agents/me", 200],
      ["approval", "GET", `/approvals/${approvalId}`, 200],
      ["approval-issues", "GET", `/approvals/${approvalId}/issues`, 200],
      ["approval-close", "PATCH", `/issues/${issue.id}`, 200],
      ["inbox-archive", "POST", `/issues/${issue.id}/inbox-archive`, 200],
    ]);

    // --- final state -------------------------------------------------------------------------------
    const closed = (await t.current.get(`/api/issues/${issue.id}`)).body;
    expect(closed.status).toBe("done");
    const last = ((await t.current.get(`/api/issues/${issue.id}/comments`)).body as { body: string; authorAgentId: string | null }[]).find(
      (c) => c.body.includes(`/approvals/${approvalId}`),
    );
    expect(last).toMatchObject({ authorAgentId: agent.id });
    expect(last!.body).toContain(`[${issue.identifier}](/${company.issuePrefix}/issues/${issue.identifier})`);
    // Archived from the inbox of the user who created the task (the agent's responsible user).
    const archived = await t.current.tdb.db.query<{ userId: string }>("SELECT user_id FROM issue_inbox_archives WHERE issue_id = $1", [
      issue.id,
    ]);
    expect(archived.map((a) => a.userId)).toEqual([closed.createdByUserId]);
    // Closing the issue ends its pending confirmation card.
    const after = (await t.current.get(`/api/issues/${issue.id}/interactions`)).body;
    expect(after[0].status).not.toBe("pending");
  }, 120_000);

  it("the skill's other examples: incremental comments, attachment content, and a paused agent reads but cannot write", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const { token } = await createAgentKey(t.current, agent.id);
    const issue = await createIssue(t.current, company.id, { assigneeAgentId: agent.id, status: "backlog" });
    const first = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "one" });
    const second = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "two" });
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    const newer = await t.current.get(`/api/issues/${issue.id}/comments?after=${first.body.id}&order=asc`, { token });
    expect(newer.status).toBe(200);
    expect(
      newer.body.map((c: { body: string }) => c.body),
      JSON.stringify({ first: first.body, second: second.body }),
    ).toEqual(["two"]);
    expect((await t.current.get(`/api/issues/${issue.id}/comments/${first.body.id}`, { token })).body.body).toBe("one");

    const form = new FormData();
    form.append("file", new Blob(["notes\n"], { type: "text/plain" }), "notes.txt");
    const upload = await t.current.app.request(`/api/companies/${company.id}/issues/${issue.id}/attachments`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(upload.status).toBe(201);
    const attachment = (await upload.json()) as { id: string };
    const content = await t.current.app.request(`/api/attachments/${attachment.id}/content`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await content.text()).toBe("notes\n");

    expect((await t.current.post(`/api/agents/${agent.id}/pause`)).status).toBe(200);
    expect((await t.current.get("/api/agents/me/inbox-lite", { token })).status).toBe(200);
    const write = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "still here" }, { token });
    expect(write.status).toBe(403);
    expect(write.body.code).toBe("agent_paused");
  });
});
