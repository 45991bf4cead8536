import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";

const t = useTestApp();

const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";

async function postComment(issueRef: string, body: Record<string, unknown>, options: { token?: string; runId?: string } = {}) {
  const res = await t.current.post(`/api/issues/${issueRef}/comments`, body, options);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; [k: string]: any };
}

async function insertRun(companyId: string, agentId: string): Promise<string> {
  const [run] = await t.current.tdb.db.query<{ id: string }>(
    "INSERT INTO heartbeat_runs (company_id, agent_id, status) VALUES ($1, $2, 'running') RETURNING id",
    [companyId, agentId],
  );
  return run!.id;
}

describe("POST /api/issues/:id/comments", () => {
  it("board comment -> 201 with authorType user and authorUserId local-board", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id);
    const res = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "Thanks!" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      companyId: company.id,
      issueId: issue.id,
      authorAgentId: null,
      authorUserId: "local-board",
      authorType: "user",
      createdByRunId: null,
      body: "Thanks!",
      mentionedAgentIds: [],
    });
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof res.body.createdAt).toBe("string");
    expect(typeof res.body.updatedAt).toBe("string");
    const [row] = await t.current.tdb.db.query<{ body: string; authorType: string }>(
      "SELECT body, author_type FROM issue_comments WHERE id = $1",
      [res.body.id],
    );
    expect(row).toEqual({ body: "Thanks!", authorType: "user" });
  });

  it("agent key comment -> authorType agent with authorAgentId; run header stamps createdByRunId", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const key = await createAgentKey(t.current, agent.id);
    const issue = await createIssue(t.current, company.id);

    const plain = await postComment(issue.id, { body: "Working on it (from the agent)." }, { token: key.token });
    expect(plain).toMatchObject({ authorType: "agent", authorAgentId: agent.id, authorUserId: null, createdByRunId: null });

    const runId = await insertRun(company.id, agent.id);
    const withRun = await postComment(issue.id, { body: "From a run" }, { token: key.token, runId });
    expect(withRun).toMatchObject({ authorType: "agent", authorAgentId: agent.id, createdByRunId: runId });

    const activity = await t.current.get(`/api/issues/${issue.id}/activity`);
    const row = activity.body.find((a: any) => a.action === "issue.comment_added" && a.details.commentId === withRun.id);
    expect(row).toMatchObject({ actorType: "agent", actorId: agent.id, agentId: agent.id, runId });
  });

  it("an agent of another company cannot see the issue -> 404 and nothing is written", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const outsider = await createAgent(t.current, other.id);
    const key = await createAgentKey(t.current, outsider.id);
    const issue = await createIssue(t.current, company.id);
    const res = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "sneaky" }, { token: key.token });
    expect(res.status).toBe(404);
    const rows = await t.current.tdb.db.query("SELECT id FROM issue_comments WHERE issue_id = $1", [issue.id]);
    expect(rows).toHaveLength(0);
  });

  it("empty, blank, missing or non-string body -> 400", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id);
    for (const body of [{ body: "" }, { body: "   \n " }, {}, { body: 42 }, { body: "ok", bogus: true }]) {
      const res = await t.current.post(`/api/issues/${issue.id}/comments`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toBe("Validation error");
    }
    const rows = await t.current.tdb.db.query("SELECT id FROM issue_comments WHERE issue_id = $1", [issue.id]);
    expect(rows).toHaveLength(0);
  });

  it("unknown issue -> 404", async () => {
    const res = await t.current.post(`/api/issues/${UNKNOWN_UUID}/comments`, { body: "hello" });
    expect(res.status).toBe(404);
    const res2 = await t.current.post(`/api/issues/NOPE-999999/comments`, { body: "hello" });
    expect(res2.status).toBe(404);
  });

  it("comment on the identifier path works (upper and lower case)", async () => {
    const company = await createCompany(t.current, { name: "Transcript Co" });
    const issue = await createIssue(t.current, company.id);
    expect(issue.identifier).toMatch(new RegExp(`^${company.issuePrefix}-\\d+$`));
    const c1 = await postComment(issue.identifier, { body: "by identifier" });
    expect(c1.issueId).toBe(issue.id);
    const c2 = await postComment(issue.identifier.toLowerCase(), { body: "by lower-case identifier" });
    expect(c2.issueId).toBe(issue.id);
    const list = await t.current.get(`/api/issues/${issue.identifier}/comments`);
    expect(list.status).toBe(200);
    expect(list.body.map((c: any) => c.id)).toEqual([c2.id, c1.id]);
    const one = await t.current.get(`/api/issues/${issue.identifier}/comments/${c1.id}`);
    expect(one.status).toBe(200);
    expect(one.body.id).toBe(c1.id);
  });

  it("touches the issue's updatedAt", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id);
    await t.current.tdb.db.query("UPDATE issues SET updated_at = now() - interval '1 day' WHERE id = $1", [issue.id]);
    const before = (await t.current.get(`/api/issues/${issue.id}`)).body.updatedAt;
    await postComment(issue.id, { body: "bump" });
    const after = (await t.current.get(`/api/issues/${issue.id}`)).body.updatedAt;
    expect(new Date(after).getTime()).toBeGreaterThan(new Date(before).getTime());
  });
});

describe("GET /api/issues/:id/comments", () => {
  async function issueWithComments(n: number) {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id);
    const comments = [];
    for (let i = 0; i < n; i++) comments.push(await postComment(issue.id, { body: `comment ${i}` }));
    return { company, issue, comments };
  }

  it("lists newest first by default", async () => {
    const { issue, comments } = await issueWithComments(4);
    const res = await t.current.get(`/api/issues/${issue.id}/comments`);
    expect(res.status).toBe(200);
    expect(res.body.map((c: any) => c.id)).toEqual(comments.map((c) => c.id).reverse());
    expect(res.body.map((c: any) => c.body)).toEqual(["comment 3", "comment 2", "comment 1", "comment 0"]);
  });

  it("order=asc lists oldest first; order=desc matches the default; a bad order -> 400", async () => {
    const { issue, comments } = await issueWithComments(3);
    const asc = await t.current.get(`/api/issues/${issue.id}/comments?order=asc`);
    expect(asc.status).toBe(200);
    expect(asc.body.map((c: any) => c.id)).toEqual(comments.map((c) => c.id));
    const desc = await t.current.get(`/api/issues/${issue.id}/comments?order=desc`);
    expect(desc.body.map((c: any) => c.id)).toEqual(comments.map((c) => c.id).reverse());
    const bad = await t.current.get(`/api/issues/${issue.id}/comments?order=sideways`);
    expect(bad.status).toBe(400);
  });

  it("after=<commentId> returns only newer comments", async () => {
    const { issue, comments } = await issueWithComments(5);
    const asc = await t.current.get(`/api/issues/${issue.id}/comments?after=${comments[1]!.id}&order=asc`);
    expect(asc.status).toBe(200);
    expect(asc.body.map((c: any) => c.id)).toEqual([comments[2]!.id, comments[3]!.id, comments[4]!.id]);
    const desc = await t.current.get(`/api/issues/${issue.id}/comments?after=${comments[1]!.id}`);
    expect(desc.body.map((c: any) => c.id)).toEqual([comments[4]!.id, comments[3]!.id, comments[2]!.id]);
    const newest = await t.current.get(`/api/issues/${issue.id}/comments?after=${comments[4]!.id}`);
    expect(newest.body).toEqual([]);
    const notUuid = await t.current.get(`/api/issues/${issue.id}/comments?after=abc`);
    expect(notUuid.status).toBe(400);
  });

  it("after combines with a newer comment written later (incremental reads)", async () => {
    const { issue, comments } = await issueWithComments(2);
    const last = comments[1]!;
    expect((await t.current.get(`/api/issues/${issue.id}/comments?after=${last.id}`)).body).toEqual([]);
    const fresh = await postComment(issue.id, { body: "fresh" });
    const res = await t.current.get(`/api/issues/${issue.id}/comments?after=${last.id}`);
    expect(res.body.map((c: any) => c.id)).toEqual([fresh.id]);
  });

  it("limit caps the page; limit out of range or not a number -> 400", async () => {
    const { issue, comments } = await issueWithComments(4);
    const two = await t.current.get(`/api/issues/${issue.id}/comments?limit=2`);
    expect(two.status).toBe(200);
    expect(two.body.map((c: any) => c.id)).toEqual([comments[3]!.id, comments[2]!.id]);
    const ascTwo = await t.current.get(`/api/issues/${issue.id}/comments?limit=2&order=asc`);
    expect(ascTwo.body.map((c: any) => c.id)).toEqual([comments[0]!.id, comments[1]!.id]);
    const afterOne = await t.current.get(`/api/issues/${issue.id}/comments?after=${comments[0]!.id}&order=asc&limit=1`);
    expect(afterOne.body.map((c: any) => c.id)).toEqual([comments[1]!.id]);
    for (const bad of ["0", "-1", "abc", "1.5", "1001"]) {
      const res = await t.current.get(`/api/issues/${issue.id}/comments?limit=${bad}`);
      expect(res.status, bad).toBe(400);
    }
  });

  it("comments of other issues are never listed", async () => {
    const { company, issue, comments } = await issueWithComments(2);
    const otherIssue = await createIssue(t.current, company.id);
    await postComment(otherIssue.id, { body: "elsewhere" });
    const res = await t.current.get(`/api/issues/${issue.id}/comments`);
    expect(res.body.map((c: any) => c.id).sort()).toEqual(comments.map((c) => c.id).sort());
    expect(res.body.every((c: any) => c.issueId === issue.id)).toBe(true);
  });

  it("an issue without comments lists []", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id);
    const res = await t.current.get(`/api/issues/${issue.id}/comments`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });

  it("an agent of another company -> 404; an agent of the same company can list", async () => {
    const { company, issue, comments } = await issueWithComments(1);
    const insider = await createAgent(t.current, company.id);
    const insiderKey = await createAgentKey(t.current, insider.id);
    const ok = await t.current.get(`/api/issues/${issue.id}/comments`, { token: insiderKey.token });
    expect(ok.status).toBe(200);
    expect(ok.body.map((c: any) => c.id)).toEqual([comments[0]!.id]);
    const other = await createCompany(t.current);
    const outsider = await createAgent(t.current, other.id);
    const outsiderKey = await createAgentKey(t.current, outsider.id);
    const res = await t.current.get(`/api/issues/${issue.id}/comments`, { token: outsiderKey.token });
    expect(res.status).toBe(404);
    const one = await t.current.get(`/api/issues/${issue.id}/comments/${comments[0]!.id}`, { token: outsiderKey.token });
    expect(one.status).toBe(404);
  });
});

describe("GET /api/issues/:id/comments/:commentId", () => {
  it("returns the comment", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id);
    const created = await postComment(issue.id, { body: "look at me" });
    const res = await t.current.get(`/api/issues/${issue.id}/comments/${created.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(created);
  });

  it("unknown comment -> 404; a non-uuid comment id -> 404", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id);
    const unknown = await t.current.get(`/api/issues/${issue.id}/comments/${UNKNOWN_UUID}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe("Comment not found");
    const notUuid = await t.current.get(`/api/issues/${issue.id}/comments/not-a-uuid`);
    expect(notUuid.status).toBe(404);
  });

  it("a comment of another issue -> 404", async () => {
    const company = await createCompany(t.current);
    const a = await createIssue(t.current, company.id);
    const b = await createIssue(t.current, company.id);
    const onA = await postComment(a.id, { body: "on A" });
    const res = await t.current.get(`/api/issues/${b.id}/comments/${onA.id}`);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe("Comment not found");
  });

  it("unknown issue -> 404 even for an existing comment id", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id);
    const c = await postComment(issue.id, { body: "x" });
    const res = await t.current.get(`/api/issues/${UNKNOWN_UUID}/comments/${c.id}`);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe("Issue not found");
  });
});

describe("mentions", () => {
  async function setup() {
    const company = await createCompany(t.current);
    const echo = await createAgent(t.current, company.id, { name: "Echo Bot" });
    const sleeper = await createAgent(t.current, company.id, { name: "Sleeper" });
    const other = await createCompany(t.current);
    const foreign = await createAgent(t.current, other.id, { name: "Foreigner" });
    const issue = await createIssue(t.current, company.id);
    return { company, echo, sleeper, other, foreign, issue };
  }

  it("@Name mentions are resolved to agent ids (case-insensitive) and stored", async () => {
    const { echo, sleeper, issue } = await setup();
    const c = await postComment(issue.id, { body: "Hey @echo bot and @Sleeper, please look." });
    expect(c.mentionedAgentIds).toEqual([echo.id, sleeper.id]);
    const [row] = await t.current.tdb.db.query<{ mentionedAgentIds: string[] }>(
      "SELECT mentioned_agent_ids FROM issue_comments WHERE id = $1",
      [c.id],
    );
    expect(row!.mentionedAgentIds).toEqual([echo.id, sleeper.id]);
    const fetched = await t.current.get(`/api/issues/${issue.id}/comments/${c.id}`);
    expect(fetched.body.mentionedAgentIds).toEqual([echo.id, sleeper.id]);
  });

  it("[@Name](agent://<id>) link mentions are resolved by id", async () => {
    const { sleeper, issue } = await setup();
    const c = await postComment(issue.id, { body: `Ping [@Whoever](agent://${sleeper.id}) now` });
    expect(c.mentionedAgentIds).toEqual([sleeper.id]);
  });

  it("@url-key mentions are resolved", async () => {
    const { echo, issue } = await setup();
    const c = await postComment(issue.id, { body: "cc @echo-bot" });
    expect(c.mentionedAgentIds).toEqual([echo.id]);
  });

  it("each agent is listed once, in order of first mention", async () => {
    const { echo, sleeper, issue } = await setup();
    const c = await postComment(issue.id, {
      body: `@Sleeper first, then [@Echo Bot](agent://${echo.id}), then @Sleeper again and @echo-bot`,
    });
    expect(c.mentionedAgentIds).toEqual([sleeper.id, echo.id]);
  });

  it("e-mail addresses, words and unknown names are not mentions", async () => {
    const { issue } = await setup();
    const c = await postComment(issue.id, { body: "mail sleeper@example.com or foo@Sleeper; @Nobody; @Sleepers" });
    expect(c.mentionedAgentIds).toEqual([]);
  });

  it("agents of other companies are never mentioned (by name, url key or link)", async () => {
    const { foreign, sleeper, issue } = await setup();
    const c = await postComment(issue.id, {
      body: `@Foreigner @foreigner [@Foreigner](agent://${foreign.id}) and @Sleeper`,
    });
    expect(c.mentionedAgentIds).toEqual([sleeper.id]);
  });

  it("a link to an unknown agent id is ignored", async () => {
    const { issue } = await setup();
    const c = await postComment(issue.id, { body: `[@Ghost](agent://${UNKNOWN_UUID})` });
    expect(c.mentionedAgentIds).toEqual([]);
  });

  it("terminated agents are not mentioned", async () => {
    const { company, issue } = await setup();
    const gone = await createAgent(t.current, company.id, { name: "Gone Agent" });
    const term = await t.current.post(`/api/agents/${gone.id}/terminate`);
    expect(term.status).toBe(200);
    const c = await postComment(issue.id, { body: `@Gone Agent [@x](agent://${gone.id})` });
    expect(c.mentionedAgentIds).toEqual([]);
  });

  it("the activity row carries the mentioned ids", async () => {
    const { echo, issue } = await setup();
    const c = await postComment(issue.id, { body: "@Echo Bot hi" });
    const activity = await t.current.get(`/api/issues/${issue.id}/activity`);
    const row = activity.body.find((a: any) => a.details?.commentId === c.id);
    expect(row.details.mentionedAgentIds).toEqual([echo.id]);
  });
});

describe("reopen", () => {
  it("reopen: true on a done issue moves it to todo (completedAt cleared) and records the change", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id, { status: "done" });
    expect(issue.status).toBe("done");
    expect(issue.completedAt).not.toBeNull();
    const c = await postComment(issue.id, { body: "Not actually done", reopen: true });
    const after = await t.current.get(`/api/issues/${issue.id}`);
    expect(after.body.status).toBe("todo");
    expect(after.body.completedAt).toBeNull();
    const activity = await t.current.get(`/api/issues/${issue.id}/activity`);
    const actions = activity.body.map((a: any) => a.action);
    expect(actions.slice(0, 2)).toEqual(["issue.updated", "issue.comment_added"]);
    expect(activity.body[0].details).toMatchObject({ changes: { status: { from: "done", to: "todo" } }, via: "comment_reopen" });
    expect(activity.body[1].details.commentId).toBe(c.id);
  });

  it("reopen: true on a cancelled issue moves it to todo (cancelledAt cleared)", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id, { status: "cancelled" });
    await postComment(issue.id, { body: "Back on", reopen: true });
    const after = await t.current.get(`/api/issues/${issue.id}`);
    expect(after.body.status).toBe("todo");
    expect(after.body.cancelledAt).toBeNull();
  });

  it("without reopen (or reopen: false) a done issue stays done", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id, { status: "done" });
    await postComment(issue.id, { body: "just a note" });
    await postComment(issue.id, { body: "another note", reopen: false });
    const after = await t.current.get(`/api/issues/${issue.id}`);
    expect(after.body.status).toBe("done");
    const activity = await t.current.get(`/api/issues/${issue.id}/activity`);
    expect(activity.body.filter((a: any) => a.action === "issue.updated")).toHaveLength(0);
  });

  it("reopen: true on an open issue changes nothing", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id, { status: "in_review", assigneeUserId: "local-board" });
    await postComment(issue.id, { body: "still reviewing", reopen: true });
    const after = await t.current.get(`/api/issues/${issue.id}`);
    expect(after.body.status).toBe("in_review");
    const activity = await t.current.get(`/api/issues/${issue.id}/activity`);
    expect(activity.body.filter((a: any) => a.action === "issue.updated")).toHaveLength(0);
  });

  it("reopen must be a boolean", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id, { status: "done" });
    const res = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "x", reopen: "yes" });
    expect(res.status).toBe(400);
    expect((await t.current.get(`/api/issues/${issue.id}`)).body.status).toBe("done");
  });
});

describe("comment activity", () => {
  it("records issue.comment_added with details.commentId in company and issue activity", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id);
    const c = await postComment(issue.id, { body: "audited" });
    const companyActivity = await t.current.get(`/api/companies/${company.id}/activity`);
    expect(companyActivity.status).toBe(200);
    const newest = companyActivity.body[0];
    expect(newest).toMatchObject({
      companyId: company.id,
      actorType: "user",
      actorId: "local-board",
      action: "issue.comment_added",
      entityType: "issue",
      entityId: issue.id,
      agentId: null,
      runId: null,
    });
    expect(newest.details).toMatchObject({ commentId: c.id, identifier: issue.identifier });
    const issueActivity = await t.current.get(`/api/issues/${issue.id}/activity`);
    expect(issueActivity.body[0].action).toBe("issue.comment_added");
    expect(issueActivity.body[0].details.commentId).toBe(c.id);
  });

  it("a rejected comment writes no activity row", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id);
    const before = await t.current.get(`/api/issues/${issue.id}/activity`);
    const res = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "" });
    expect(res.status).toBe(400);
    const after = await t.current.get(`/api/issues/${issue.id}/activity`);
    expect(after.body).toEqual(before.body);
  });
});
