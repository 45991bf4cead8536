import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";

const t = useTestApp();
const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";

async function insertRun(companyId: string, agentId: string, status = "running", issueId: string | null = null): Promise<string> {
  const [run] = await t.current.tdb.db.query<{ id: string }>(
    "INSERT INTO heartbeat_runs (company_id, agent_id, status, issue_id) VALUES ($1, $2, $3, $4) RETURNING id",
    [companyId, agentId, status, issueId],
  );
  return run!.id;
}

async function agentWithKey(companyId: string) {
  const agent = await createAgent(t.current, companyId);
  const key = await createAgentKey(t.current, agent.id);
  return { agent, token: key.token };
}

describe("GET /api/agents/me/inbox-lite", () => {
  it("lists the agent's todo/in_progress/blocked issues as compact rows with readiness and the active run", async () => {
    const company = await createCompany(t.current);
    const { agent, token } = await agentWithKey(company.id);
    const other = await createAgent(t.current, company.id);
    const blocker = await createIssue(t.current, company.id, { title: "blocker" });
    const ready = await createIssue(t.current, company.id, { title: "ready", assigneeAgentId: agent.id, status: "todo" });
    const waiting = await createIssue(t.current, company.id, {
      title: "waiting",
      assigneeAgentId: agent.id,
      status: "blocked",
      blockedByIssueIds: [blocker.id],
    });
    const working = await createIssue(t.current, company.id, { title: "working", assigneeAgentId: agent.id, status: "todo" });
    const runId = await insertRun(company.id, agent.id, "running", working.id);
    await t.current.tdb.db.query("UPDATE issues SET status = 'in_progress', execution_run_id = $2, updated_at = now() WHERE id = $1", [
      working.id,
      runId,
    ]);
    await createIssue(t.current, company.id, { title: "finished", assigneeAgentId: agent.id, status: "done" });
    await createIssue(t.current, company.id, { title: "someone else's", assigneeAgentId: other.id, status: "todo" });
    await createIssue(t.current, company.id, { title: "backlog", assigneeAgentId: agent.id, status: "backlog" });

    const res = await t.current.get("/api/agents/me/inbox-lite", { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.map((r: { title: string }) => r.title).sort()).toEqual(["ready", "waiting", "working"]);
    const byTitle = Object.fromEntries(res.body.map((r: { title: string }) => [r.title, r]));
    expect(Object.keys(byTitle.ready).sort()).toEqual(
      [
        "id",
        "identifier",
        "title",
        "status",
        "priority",
        "projectId",
        "goalId",
        "parentId",
        "updatedAt",
        "activeRun",
        "dependencyReady",
        "unresolvedBlockerCount",
        "unresolvedBlockerIssueIds",
      ].sort(),
    );
    expect(byTitle.ready).toMatchObject({
      id: ready.id,
      identifier: ready.identifier,
      activeRun: null,
      dependencyReady: true,
      unresolvedBlockerCount: 0,
    });
    expect(byTitle.waiting).toMatchObject({
      id: waiting.id,
      dependencyReady: false,
      unresolvedBlockerCount: 1,
      unresolvedBlockerIssueIds: [blocker.id],
    });
    expect(byTitle.working.activeRun).toMatchObject({ id: runId, status: "running", agentId: agent.id });

    // A blocker that is done no longer counts.
    await t.current.patch(`/api/issues/${blocker.id}`, { status: "done" });
    const after = await t.current.get("/api/agents/me/inbox-lite", { token });
    expect(after.body.find((r: { id: string }) => r.id === waiting.id)).toMatchObject({
      dependencyReady: true,
      unresolvedBlockerIssueIds: [],
    });
  });

  it("the board is not an agent -> 401", async () => {
    const res = await t.current.get("/api/agents/me/inbox-lite");
    expect(res.status).toBe(401);
  });
});

describe("GET /api/agents/me/inbox/mine", () => {
  it("lists what the user touched, with read context; an archive hides it until the issue needs the user again", async () => {
    const company = await createCompany(t.current);
    const { agent, token } = await agentWithKey(company.id);
    const mine = await createIssue(t.current, company.id, { title: "board made this" });
    const agentMade = await createIssue(t.current, company.id, { title: "agent made this" }, token);

    const list = async () => {
      const res = await t.current.get(`/api/agents/me/inbox/mine?userId=local-board`, { token });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body as { id: string; isUnreadForMe: boolean; lastExternalCommentAt: string | null; myLastTouchAt: string | null }[];
    };
    let rows = await list();
    expect(rows.map((r) => r.id)).toEqual([mine.id]);
    expect(rows[0]).toMatchObject({ isUnreadForMe: false, lastExternalCommentAt: null });
    expect(rows[0]!.myLastTouchAt).toEqual(expect.any(String));

    // The agent comments: unread for the user.
    expect((await t.current.post(`/api/issues/${mine.id}/comments`, { body: "Done a first pass." }, { token })).status).toBe(201);
    rows = await list();
    expect(rows[0]).toMatchObject({ id: mine.id, isUnreadForMe: true, lastExternalCommentAt: expect.any(String) });

    // Archived by the agent (inside a run): gone; more agent comments do not bring it back.
    const runId = await insertRun(company.id, agent.id);
    const archived = await t.current.post(`/api/issues/${mine.id}/inbox-archive`, {}, { token, runId });
    expect(archived.status, JSON.stringify(archived.body)).toBe(200);
    expect(archived.body).toMatchObject({
      issueId: mine.id,
      userId: "local-board",
      archivedByActorType: "agent",
      archivedByAgentId: agent.id,
      archivedByRunId: runId,
    });
    expect(await list()).toEqual([]);
    await t.current.post(`/api/issues/${mine.id}/comments`, { body: "Another update." }, { token, runId });
    expect(await list()).toEqual([]);

    // Moving into review asks for the user again: it resurfaces.
    await t.current.patch(`/api/issues/${mine.id}`, { status: "in_review" });
    expect((await list()).map((r) => r.id)).toEqual([mine.id]);

    // Status filter, and an issue nobody touched as the user never shows.
    expect((await t.current.get(`/api/agents/me/inbox/mine?userId=local-board&status=done`, { token })).body).toEqual([]);
    expect(rows.map((r) => r.id)).not.toContain(agentMade.id);
  });

  it("an unknown user has an empty inbox; missing userId or a bad status -> 400", async () => {
    const company = await createCompany(t.current);
    const { token } = await agentWithKey(company.id);
    await createIssue(t.current, company.id);
    expect((await t.current.get(`/api/agents/me/inbox/mine?userId=user-7`, { token })).body).toEqual([]);
    const missing = await t.current.get(`/api/agents/me/inbox/mine`, { token });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toContain("userId");
    const badStatus = await t.current.get(`/api/agents/me/inbox/mine?userId=local-board&status=sleeping`, { token });
    expect(badStatus.status).toBe(400);
    expect(JSON.stringify(badStatus.body)).toContain("sleeping");
  });
});

describe("POST/DELETE /api/issues/:id/inbox-archive", () => {
  it("board archives its own inbox and undoes it; both write activity", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id);
    const first = await t.current.post(`/api/issues/${issue.identifier}/inbox-archive`);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({
      companyId: company.id,
      issueId: issue.id,
      userId: "local-board",
      archivedByActorType: "user",
      archivedByAgentId: null,
    });
    // Archiving again moves archivedAt forward on the same row.
    const again = await t.current.post(`/api/issues/${issue.id}/inbox-archive`, { userId: "local-board" });
    expect(again.body.id).toBe(first.body.id);
    expect(Date.parse(again.body.archivedAt)).toBeGreaterThanOrEqual(Date.parse(first.body.archivedAt));

    const removed = await t.current.del(`/api/issues/${issue.id}/inbox-archive`);
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ id: first.body.id, userId: "local-board" });
    const none = await t.current.del(`/api/issues/${issue.id}/inbox-archive`);
    expect(none.body).toEqual({ ok: true, userId: "local-board" });

    const actions = await t.current.tdb.db.query<{ action: string }>(
      "SELECT action FROM activity_log WHERE entity_id = $1 AND action LIKE 'issue.inbox_%' ORDER BY created_at, id",
      [issue.id],
    );
    expect(actions.map((a) => a.action)).toEqual([
      "issue.inbox_archived",
      "issue.inbox_archived",
      "issue.inbox_unarchived",
      "issue.inbox_unarchived",
    ]);
  });

  it("refusals: another user's inbox 403, agent without run 401, other company 404, unknown 404, bad body 400", async () => {
    const company = await createCompany(t.current);
    const otherCompany = await createCompany(t.current);
    const { agent, token } = await agentWithKey(company.id);
    const issue = await createIssue(t.current, company.id);
    const foreign = await createIssue(t.current, otherCompany.id);
    const runId = await insertRun(company.id, agent.id);

    const boardOther = await t.current.post(`/api/issues/${issue.id}/inbox-archive`, { userId: "user-9" });
    expect(boardOther.status).toBe(403);
    expect(boardOther.body.code).toBe("inbox_cross_user_forbidden");
    const agentOther = await t.current.post(`/api/issues/${issue.id}/inbox-archive`, { userId: "user-9" }, { token, runId });
    expect(agentOther.status).toBe(403);
    expect(agentOther.body.code).toBe("inbox_cross_user_grant_required");
    const noRun = await t.current.post(`/api/issues/${issue.id}/inbox-archive`, {}, { token });
    expect(noRun.status).toBe(401);
    expect(noRun.body.code).toBe("agent_run_id_required");
    expect((await t.current.post(`/api/issues/${foreign.id}/inbox-archive`, {}, { token, runId })).status).toBe(404);
    expect((await t.current.del(`/api/issues/${foreign.id}/inbox-archive`, { token, runId })).status).toBe(404);
    expect((await t.current.post(`/api/issues/${UNKNOWN_UUID}/inbox-archive`)).status).toBe(404);
    const bad = await t.current.post(`/api/issues/${issue.id}/inbox-archive`, { userId: 5 });
    expect(bad.status).toBe(400);
    const extra = await t.current.post(`/api/issues/${issue.id}/inbox-archive`, { folder: "done" });
    expect(extra.status).toBe(400);
    expect(JSON.stringify(extra.body)).toContain("folder");
    const [{ count }] = await t.current.tdb.db.query<{ count: number }>(
      "SELECT count(*)::int AS count FROM issue_inbox_archives WHERE issue_id = $1",
      [issue.id],
    );
    expect(count).toBe(0);
  });
});
