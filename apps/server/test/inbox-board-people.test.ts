import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./helpers/test-app.js";
import { inviteAndSignUp, rawCall, signUpOwner, type SignedInUser } from "./helpers/auth-users.js";

/**
 * The board inbox with several people (authenticated mode): read and archive state belong to each
 * person, a viewer sees the company's items and may mark their own, and nobody sees another
 * company's items.
 */
let app: TestApp;
let owner: SignedInUser;
let member: SignedInUser;
let viewer: SignedInUser;
let companyA: { id: string };
let companyB: { id: string };
let key: string;

const inbox = (user: SignedInUser, companyId: string) => rawCall(app, "GET", `/api/companies/${companyId}/inbox`, undefined, user.headers);
const mark = (user: SignedInUser, companyId: string, op: string, itemKeys: string[]) =>
  rawCall(app, "POST", `/api/companies/${companyId}/inbox/${op}`, { itemKeys }, user.headers);

async function failingIssue(companyId: string, title: string) {
  const agent = await rawCall(
    app,
    "POST",
    `/api/companies/${companyId}/agents`,
    { name: `Agent ${title}`, role: "engineer", adapterType: "process", adapterConfig: { command: "/bin/true" } },
    owner.headers,
  );
  expect(agent.status, JSON.stringify(agent.body)).toBe(201);
  const issue = await rawCall(app, "POST", `/api/companies/${companyId}/issues`, { title }, owner.headers);
  expect(issue.status, JSON.stringify(issue.body)).toBe(201);
  await app.tdb.db.query(
    "INSERT INTO heartbeat_runs (company_id, agent_id, status, issue_id, finished_at) VALUES ($1, $2, 'failed', $3, now() - interval '1 minute')",
    [companyId, agent.body.id, issue.body.id],
  );
  return issue.body as { id: string; identifier: string };
}

beforeAll(async () => {
  app = await createTestApp({ deploymentMode: "authenticated" });
  owner = await signUpOwner(app);
  companyA = (await rawCall(app, "POST", "/api/companies", { name: "Inbox A" }, owner.headers)).body;
  companyB = (await rawCall(app, "POST", "/api/companies", { name: "Inbox B" }, owner.headers)).body;
  member = await inviteAndSignUp(app, owner, companyA.id, "member");
  viewer = await inviteAndSignUp(app, owner, companyA.id, "viewer");
  const issue = await failingIssue(companyA.id, "Fix the build");
  key = `run:${issue.id}`;
  await failingIssue(companyB.id, "Secret work of B");
});
afterAll(async () => {
  await app?.tdb.drop();
});

describe("board inbox per person", () => {
  it("everyone of the company sees the item, unread", async () => {
    for (const user of [owner, member, viewer]) {
      const res = await inbox(user, companyA.id);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.items.map((i: { key: string; unread: boolean }) => [i.key, i.unread])).toEqual([[key, true]]);
    }
  });

  it("read and archive state belong to the person who set it", async () => {
    expect((await mark(member, companyA.id, "read", [key])).status).toBe(200);
    expect((await inbox(member, companyA.id)).body.items[0].unread).toBe(false);
    expect((await inbox(owner, companyA.id)).body.items[0].unread).toBe(true);
    expect((await rawCall(app, "GET", `/api/companies/${companyA.id}/inbox/count`, undefined, owner.headers)).body).toEqual({
      unread: 1,
      total: 1,
    });
    expect((await rawCall(app, "GET", `/api/companies/${companyA.id}/inbox/count`, undefined, member.headers)).body).toEqual({
      unread: 0,
      total: 1,
    });

    expect((await mark(owner, companyA.id, "archive", [key])).status).toBe(200);
    expect((await inbox(owner, companyA.id)).body.items).toEqual([]);
    expect((await inbox(member, companyA.id)).body.items).toHaveLength(1);
  });

  it("a viewer may read and archive their own inbox (it changes nothing of the company)", async () => {
    const res = await mark(viewer, companyA.id, "archive", [key]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await inbox(viewer, companyA.id)).body.items).toEqual([]);
    // Still a viewer for the company's work.
    const write = await rawCall(app, "POST", `/api/companies/${companyA.id}/issues`, { title: "nope" }, viewer.headers);
    expect(write.status).toBe(403);
  });

  it("another company's inbox is refused and its items never leak", async () => {
    for (const user of [member, viewer]) {
      const res = await inbox(user, companyB.id);
      expect(res.status).toBe(403);
      expect(JSON.stringify(res.body)).not.toContain("Secret work of B");
      expect((await rawCall(app, "GET", `/api/companies/${companyB.id}/inbox/count`, undefined, user.headers)).status).toBe(403);
      expect((await mark(user, companyB.id, "archive", [key])).status).toBe(403);
    }
    const a = await inbox(owner, companyA.id);
    expect(JSON.stringify(a.body)).not.toContain("Secret work of B");
  });
});
