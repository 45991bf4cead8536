import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";

/**
 * The board inbox: items computed from the data (nothing copied that could go stale), each person's
 * read and archive state per item key.
 */
const t = useTestApp();

/**
 * A finished run of the issue, created, started and finished `secondsAgo` back; the newest decides.
 * created_at is set too: the embedded database's clock has millisecond resolution, so two runs
 * inserted back to back with the default now() can tie and the tie goes to the larger id.
 */
async function finishedRun(companyId: string, agentId: string, issueId: string, status: string, secondsAgo: number, error?: string) {
  const [run] = await t.current.tdb.db.query<{ id: string }>(
    `INSERT INTO heartbeat_runs (company_id, agent_id, status, issue_id, error, created_at, started_at, finished_at)
     VALUES ($1, $2, $3, $4, $5, now() - make_interval(secs => $6 + 2), now() - make_interval(secs => $6 + 1), now() - make_interval(secs => $6)) RETURNING id`,
    [companyId, agentId, status, issueId, error ?? null, secondsAgo],
  );
  return run!.id;
}

async function inbox(companyId: string, view = "active") {
  const res = await t.current.get(`/api/companies/${companyId}/inbox?view=${view}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { items: any[]; unread: number; total: number };
}

async function setup() {
  const company = await createCompany(t.current);
  const agent = await createAgent(t.current, company.id);
  const issue = await createIssue(t.current, company.id, { title: "Ship the login page", assigneeAgentId: agent.id });
  return { company, agent, issue };
}

describe("failed runs in the board inbox", () => {
  it("names a failed run by its issue (identifier and title) and clears it after a later run of the issue succeeded", async () => {
    const { company, agent, issue } = await setup();
    const runId = await finishedRun(company.id, agent.id, issue.id, "failed", 60, "exit code 3");
    const before = await inbox(company.id);
    const item = before.items.find((i) => i.key === `run:${issue.id}`);
    expect(item).toMatchObject({
      kind: "run_failed",
      title: `${issue.identifier}: Ship the login page`,
      unread: true,
      archived: false,
      runId,
      agentId: agent.id,
      issue: { id: issue.id, identifier: issue.identifier, title: "Ship the login page" },
      links: { issue: `/issues/${issue.identifier}`, run: `/runs/${runId}` },
    });
    expect(item.detail).toContain("exit code 3");

    // A cancelled run decides nothing; a later success clears the item.
    await finishedRun(company.id, agent.id, issue.id, "cancelled", 30);
    expect((await inbox(company.id)).items.some((i) => i.key === `run:${issue.id}`)).toBe(true);
    await finishedRun(company.id, agent.id, issue.id, "succeeded", 10);
    expect((await inbox(company.id)).items.some((i) => i.key === `run:${issue.id}`)).toBe(false);
  });

  it("clears a failure when the issue is done, and one item per issue (the latest failure)", async () => {
    const { company, agent, issue } = await setup();
    await finishedRun(company.id, agent.id, issue.id, "failed", 60);
    const latest = await finishedRun(company.id, agent.id, issue.id, "timed_out", 20);
    const items = (await inbox(company.id)).items.filter((i) => i.kind === "run_failed");
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ runId: latest });
    expect(items[0].detail).toContain("timed out");
    expect((await t.current.patch(`/api/issues/${issue.id}`, { status: "done" })).status).toBe(200);
    expect((await inbox(company.id)).items.filter((i) => i.kind === "run_failed")).toEqual([]);
  });

  it("archive hides the item until a new failure, unarchive brings it back; counts follow", async () => {
    const { company, agent, issue } = await setup();
    await finishedRun(company.id, agent.id, issue.id, "failed", 60);
    const key = `run:${issue.id}`;
    const count0 = (await t.current.get(`/api/companies/${company.id}/inbox/count`)).body;
    expect(count0).toEqual({ unread: 1, total: 1 });

    const archived = await t.current.post(`/api/companies/${company.id}/inbox/archive`, { itemKeys: [key] });
    expect(archived.status, JSON.stringify(archived.body)).toBe(200);
    expect(archived.body).toMatchObject({ updated: [key], unread: 0, total: 0 });
    expect((await inbox(company.id)).items).toEqual([]);
    expect((await inbox(company.id, "archived")).items.map((i) => i.key)).toEqual([key]);
    expect((await t.current.get(`/api/companies/${company.id}/inbox/count`)).body).toEqual({ unread: 0, total: 0 });

    // Undo.
    expect((await t.current.post(`/api/companies/${company.id}/inbox/unarchive`, { itemKeys: [key] })).body).toMatchObject({ total: 1 });
    expect((await inbox(company.id)).items.map((i) => i.key)).toEqual([key]);
    await t.current.post(`/api/companies/${company.id}/inbox/archive`, { itemKeys: [key] });
    expect((await inbox(company.id)).items).toEqual([]);

    // A new failure after the archive shows the item again, unread.
    const again = await finishedRun(company.id, agent.id, issue.id, "failed", -1);
    const shown = (await inbox(company.id)).items;
    expect(shown.map((i) => [i.key, i.runId, i.unread])).toEqual([[key, again, true]]);
    expect((await t.current.get(`/api/companies/${company.id}/inbox/count`)).body).toEqual({ unread: 1, total: 1 });
  });

  it("mark read clears the unread flag and the unread count, and mark unread restores it", async () => {
    const { company, agent, issue } = await setup();
    await finishedRun(company.id, agent.id, issue.id, "failed", 60);
    const key = `run:${issue.id}`;
    const read = await t.current.post(`/api/companies/${company.id}/inbox/read`, { itemKeys: [key] });
    expect(read.body).toMatchObject({ unread: 0, total: 1 });
    expect((await inbox(company.id)).items[0]).toMatchObject({ key, unread: false });
    const unread = await t.current.post(`/api/companies/${company.id}/inbox/unread`, { itemKeys: [key] });
    expect(unread.body).toMatchObject({ unread: 1, total: 1 });
  });

  it("a retry through the agent's wakeup with the issue queues a run of that issue", async () => {
    const { company, agent, issue } = await setup();
    await finishedRun(company.id, agent.id, issue.id, "failed", 60);
    const item = (await inbox(company.id)).items.find((i) => i.kind === "run_failed");
    const wake = await t.current.post(`/api/agents/${item.agentId}/wakeup`, {
      source: "on_demand",
      triggerDetail: "manual",
      reason: "Retry from the inbox",
      payload: { issueId: item.issue.id },
    });
    expect(wake.status, JSON.stringify(wake.body)).toBe(202);
    const [run] = await t.current.tdb.db.query<{ issueId: string }>(
      "SELECT issue_id FROM heartbeat_runs WHERE agent_id = $1 AND error IS NULL ORDER BY created_at DESC LIMIT 1",
      [agent.id],
    );
    expect(run?.issueId).toBe(issue.id);
  });
});

describe("other items", () => {
  it("lists blocked issues, pending approvals, open interactions for people and @board mentions", async () => {
    const { company, agent, issue } = await setup();
    const blocker = await createIssue(t.current, company.id, { title: "The blocker" });
    const blocked = await createIssue(t.current, company.id, { title: "Waits", status: "blocked", blockedByIssueIds: [blocker.id] });
    const [approval] = await t.current.tdb.db.query<{ id: string }>(
      "INSERT INTO approvals (company_id, type, status, payload) VALUES ($1, 'request_board_approval', 'pending', $2) RETURNING id",
      [company.id, { title: "Buy a domain" }],
    );
    const { token } = await createAgentKey(t.current, agent.id);
    const comment = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "Need a decision from @board here" }, { token });
    expect(comment.status, JSON.stringify(comment.body)).toBe(201);
    await t.current.post(`/api/issues/${issue.id}/comments`, { body: "mail me at x@boarding.example" }, { token });
    const [interaction] = await t.current.tdb.db.query<{ id: string }>(
      `INSERT INTO issue_thread_interactions (company_id, issue_id, kind, continuation_policy, requested_resolver_policy,
         effective_resolver_policy, resolver_policy_provenance, created_by_agent_id, title, payload)
       VALUES ($1, $2, 'request_confirmation', 'none', 'anyone', 'anyone', 'explicit', $3, 'Deploy now?', '{}') RETURNING id`,
      [company.id, issue.id, agent.id],
    );
    const items = (await inbox(company.id)).items;
    const byKind = (kind: string) => items.filter((i) => i.kind === kind);
    expect(byKind("issue_blocked")).toEqual([
      expect.objectContaining({
        key: `attention:blocked:${blocked.id}`,
        title: `${blocked.identifier}: Waits`,
        detail: `Blocked by ${blocker.identifier}`,
      }),
    ]);
    expect(byKind("approval")).toEqual([
      expect.objectContaining({
        key: `approval:${approval!.id}`,
        detail: "Buy a domain",
        links: { approval: `/approvals/${approval!.id}` },
      }),
    ]);
    expect(byKind("mention")).toEqual([
      expect.objectContaining({
        key: `attention:mention:${comment.body.id}`,
        commentId: comment.body.id,
        issue: expect.objectContaining({ id: issue.id }),
      }),
    ]);
    expect(byKind("interaction")).toEqual([
      expect.objectContaining({ key: `attention:interaction:${interaction!.id}`, title: "Deploy now?", interactionId: interaction!.id }),
    ]);
    // Newest first.
    const times = items.map((i) => Date.parse(i.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    // Deciding the approval removes its item (computed, never copied).
    await t.current.tdb.db.query("UPDATE approvals SET status = 'approved' WHERE id = $1", [approval!.id]);
    expect((await inbox(company.id)).items.some((i) => i.kind === "approval")).toBe(false);
  });
});

describe("Paperclip's inbox dismissals", () => {
  it("a dismissal archives the item, lists it, and a restore shows it again; snoozing is refused", async () => {
    const { company, agent, issue } = await setup();
    await finishedRun(company.id, agent.id, issue.id, "failed", 60);
    const key = `run:${issue.id}`;
    const dismissed = await t.current.post(`/api/companies/${company.id}/inbox-dismissals`, { itemKey: key });
    expect(dismissed.status, JSON.stringify(dismissed.body)).toBe(201);
    expect(dismissed.body).toMatchObject({ itemKey: key, kind: "dismiss", dismissed: true });
    expect((await inbox(company.id)).items).toEqual([]);
    const list = await t.current.get(`/api/companies/${company.id}/inbox-dismissals`);
    expect(list.body.dismissals.map((d: { itemKey: string }) => d.itemKey)).toEqual([key]);

    const restored = await t.current.del(`/api/companies/${company.id}/inbox-dismissals/${encodeURIComponent(key)}`);
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    expect(restored.body).toMatchObject({ itemKey: key, dismissed: false });
    expect((await inbox(company.id)).items.map((i) => i.key)).toEqual([key]);

    const snooze = await t.current.post(`/api/companies/${company.id}/inbox-dismissals`, {
      itemKey: key,
      kind: "snooze",
      snoozedUntil: "2030-01-01T00:00:00.000Z",
    });
    expect(snooze.status).toBe(400);
    expect(snooze.body.error).toMatch(/Snoozing/);
    expect((await t.current.del(`/api/companies/${company.id}/inbox-dismissals/nope`)).status).toBe(400);
  });
});

describe("bad input and access", () => {
  it("refuses malformed keys (400) and keys that are not items of this inbox (404)", async () => {
    const { company, agent, issue } = await setup();
    await finishedRun(company.id, agent.id, issue.id, "failed", 60);
    const bad = await t.current.post(`/api/companies/${company.id}/inbox/read`, { itemKeys: ["nope"] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("itemKeys");
    expect((await t.current.post(`/api/companies/${company.id}/inbox/read`, { itemKeys: [] })).status).toBe(400);
    const other = await setup();
    await finishedRun(other.company.id, other.agent.id, other.issue.id, "failed", 60);
    // Another company's item key is unknown here: 404, and its state is untouched.
    const cross = await t.current.post(`/api/companies/${company.id}/inbox/archive`, { itemKeys: [`run:${other.issue.id}`] });
    expect(cross.status).toBe(404);
    expect(cross.body.code).toBe("inbox_item_not_found");
    expect((await inbox(other.company.id)).items.map((i) => i.key)).toEqual([`run:${other.issue.id}`]);
    expect((await inbox(company.id)).items.map((i) => i.key)).toEqual([`run:${issue.id}`]);
    expect((await t.current.get(`/api/companies/${company.id}/inbox?view=bogus`)).status).toBe(400);
  });

  it("agents and anonymous callers are refused", async () => {
    const { company, agent } = await setup();
    const { token } = await createAgentKey(t.current, agent.id);
    expect((await t.current.get(`/api/companies/${company.id}/inbox`, { token })).status).toBe(403);
    expect((await t.current.get(`/api/companies/${company.id}/inbox`, { anonymous: true })).status).toBe(401);
  });
});
