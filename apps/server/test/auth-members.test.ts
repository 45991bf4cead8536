import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./helpers/test-app.js";
import { inviteAndSignUp, PASSWORD, rawCall, signIn, uniqueEmail, type SignedInUser } from "./helpers/auth-users.js";

/**
 * Authenticated mode end to end in process: the owner signs up with the setup code, invites people
 * who see only their company, roles decide writes, removing a member ends their sessions and keys,
 * sign-in is rate limited, CLI sign-in by challenge, and the activity trail records it all.
 */
let app: TestApp;
let owner: SignedInUser;
let companyA: { id: string };
let companyB: { id: string };
let member: SignedInUser & { email: string };

beforeAll(async () => {
  app = await createTestApp({ deploymentMode: "authenticated" });
});
afterAll(async () => {
  await app?.tdb.drop();
});

describe("first start: setup code and sign-up", () => {
  it("reports setupRequired, and sign-up without a setup code or invite is refused", async () => {
    expect((await app.get("/api/auth/status", { anonymous: true })).body).toEqual({ deploymentMode: "authenticated", setupRequired: true });
    const res = await rawCall(app, "POST", "/api/auth/sign-up/email", { email: uniqueEmail("x"), password: PASSWORD });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe("sign_up_closed");
  });

  it("the owner signs up through the setup code, which works once", async () => {
    const setupCode = await app.services.users.createSetupCode();
    const first = await rawCall(app, "POST", "/api/auth/sign-up/email", { email: "Owner@Example.test", password: PASSWORD, setupCode });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.user).toMatchObject({ email: "owner@example.test", isInstanceAdmin: true });
    const cookie = first.headers.get("set-cookie")!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    owner = { id: first.body.user.id, cookie: /staple_session=[^;]+/.exec(cookie)![0], headers: {} };
    owner.headers = { cookie: owner.cookie, origin: "http://localhost", host: "localhost" };
    const again = await rawCall(app, "POST", "/api/auth/sign-up/email", { email: uniqueEmail("y"), password: PASSWORD, setupCode });
    expect(again.status).toBe(403);
    expect(again.body.code).toBe("setup_code_invalid");
    expect((await app.get("/api/auth/status", { anonymous: true })).body.setupRequired).toBe(false);
    expect(await app.services.users.createSetupCode()).toBeNull();
  });

  it("a cookie write without an Origin header is refused (CSRF)", async () => {
    const res = await rawCall(app, "POST", "/api/companies", { name: "No origin" }, { cookie: owner.cookie });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe("csrf_rejected");
  });

  it("the owner (instance admin) creates companies with the session cookie", async () => {
    const a = await rawCall(app, "POST", "/api/companies", { name: "Acme A" }, owner.headers);
    const b = await rawCall(app, "POST", "/api/companies", { name: "Bravo B" }, owner.headers);
    expect([a.status, b.status]).toEqual([201, 201]);
    companyA = a.body;
    companyB = b.body;
    // The person who created it is its first owner, listed among the members.
    const members = await rawCall(app, "GET", `/api/companies/${companyA.id}/members`, undefined, owner.headers);
    expect(members.status).toBe(200);
    expect(members.body.map((m: { userId: string; role: string }) => [m.userId, m.role])).toEqual([[owner.id, "owner"]]);
  });
});

describe("invites and members", () => {
  it("an invited member sees only their company", async () => {
    member = await inviteAndSignUp(app, owner, companyA.id, "member");
    const me = await rawCall(app, "GET", "/api/auth/me", undefined, member.headers);
    expect(me.body.memberships).toEqual([{ companyId: companyA.id, companyName: "Acme A", role: "member" }]);
    const list = await rawCall(app, "GET", "/api/companies", undefined, member.headers);
    expect(list.body.map((c: { id: string }) => c.id)).toEqual([companyA.id]);
    expect((await rawCall(app, "GET", `/api/companies/${companyB.id}`, undefined, member.headers)).status).toBe(403);
    const issue = await rawCall(app, "POST", `/api/companies/${companyA.id}/issues`, { title: "member work" }, member.headers);
    expect(issue.status).toBe(201);
    // A write that is not about a company (create one) is for instance admins.
    const company = await rawCall(app, "POST", "/api/companies", { name: "Mine" }, member.headers);
    expect(company.status).toBe(403);
    expect(company.body.code).toBe("instance_admin_required");
  });

  it("an invite is single use, and its preview names company and role", async () => {
    const invite = await rawCall(app, "POST", `/api/companies/${companyA.id}/invites`, { role: "viewer" }, owner.headers);
    expect(invite.body.inviteUrl).toBe(`http://localhost/invite/${invite.body.token}`);
    const preview = await app.get(`/api/invites/${invite.body.token}`, { anonymous: true });
    expect(preview.body).toMatchObject({ companyId: companyA.id, companyName: "Acme A", role: "viewer" });
    const accept = await rawCall(app, "POST", `/api/invites/${invite.body.token}/accept`, {}, member.headers);
    expect(accept.body).toMatchObject({ status: "joined" });
    expect(accept.body.membership.role).toBe("member"); // already a member: the role is kept
    expect((await rawCall(app, "POST", `/api/invites/${invite.body.token}/accept`, {}, member.headers)).status).toBe(404);
    expect((await app.get(`/api/invites/${invite.body.token}`, { anonymous: true })).status).toBe(404);
  });

  it("a member cannot invite or change roles; an admin cannot grant owner", async () => {
    const invite = await rawCall(app, "POST", `/api/companies/${companyA.id}/invites`, { role: "viewer" }, member.headers);
    expect(invite.status).toBe(403);
    expect(invite.body.code).toBe("role_forbidden");
    const admin = await inviteAndSignUp(app, owner, companyA.id, "admin");
    const ownerInvite = await rawCall(app, "POST", `/api/companies/${companyA.id}/invites`, { role: "owner" }, admin.headers);
    expect(ownerInvite.status).toBe(403);
    const ok = await rawCall(app, "POST", `/api/companies/${companyA.id}/invites`, { humanRole: "operator" }, admin.headers);
    expect(ok.status).toBe(201);
    expect(ok.body.role).toBe("member");
  });

  it("a viewer reads but cannot write", async () => {
    const viewer = await inviteAndSignUp(app, owner, companyA.id, "viewer");
    expect((await rawCall(app, "GET", `/api/companies/${companyA.id}/issues`, undefined, viewer.headers)).status).toBe(200);
    const write = await rawCall(app, "POST", `/api/companies/${companyA.id}/issues`, { title: "nope" }, viewer.headers);
    expect(write.status).toBe(403);
    expect(write.body.code).toBe("role_forbidden");
  });

  it("a role change is recorded and takes effect on the next request", async () => {
    const res = await rawCall(app, "PATCH", `/api/companies/${companyA.id}/members/${member.id}`, { role: "viewer" }, owner.headers);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.role).toBe("viewer");
    const write = await rawCall(app, "POST", `/api/companies/${companyA.id}/issues`, { title: "now a viewer" }, member.headers);
    expect(write.status).toBe(403);
    await rawCall(app, "PATCH", `/api/companies/${companyA.id}/members/${member.id}`, { role: "member" }, owner.headers);
  });

  it("the last owner cannot be demoted", async () => {
    const members = await rawCall(app, "GET", `/api/companies/${companyB.id}/invites`, undefined, owner.headers);
    expect(members.status).toBe(200);
    const invite = await rawCall(app, "POST", `/api/companies/${companyB.id}/invites`, { role: "owner" }, owner.headers);
    const bOwner = await rawCall(app, "POST", "/api/auth/sign-up/email", {
      email: uniqueEmail("bowner"),
      password: PASSWORD,
      inviteToken: invite.body.token,
    });
    const res = await rawCall(
      app,
      "PATCH",
      `/api/companies/${companyB.id}/members/${bOwner.body.user.id}`,
      { role: "admin" },
      owner.headers,
    );
    // Two owners (the creator and the invited one): one may step down; then the creator is the last.
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const last = await rawCall(app, "PATCH", `/api/companies/${companyB.id}/members/${owner.id}`, { role: "admin" }, owner.headers);
    expect(last.status).toBe(422);
    expect(last.body.code).toBe("last_owner");
  });

  it("an invite that needs approval files a join request an admin approves", async () => {
    const invite = await rawCall(
      app,
      "POST",
      `/api/companies/${companyB.id}/invites`,
      { role: "viewer", requiresApproval: true },
      owner.headers,
    );
    const joiner = await rawCall(app, "POST", "/api/auth/sign-up/email", {
      email: uniqueEmail("joiner"),
      password: PASSWORD,
      inviteToken: invite.body.token,
    });
    expect(joiner.status).toBe(201);
    const requests = await rawCall(app, "GET", `/api/companies/${companyB.id}/join-requests`, undefined, owner.headers);
    const pending = requests.body.find((r: { userId: string }) => r.userId === joiner.body.user.id);
    expect(pending).toMatchObject({ status: "pending", role: "viewer" });
    const joinerHeaders = { cookie: /staple_session=[^;]+/.exec(joiner.headers.get("set-cookie")!)![0], origin: "http://localhost" };
    expect((await rawCall(app, "GET", `/api/companies/${companyB.id}`, undefined, joinerHeaders)).status).toBe(403);
    const approved = await rawCall(app, "POST", `/api/companies/${companyB.id}/join-requests/${pending.id}/approve`, {}, owner.headers);
    expect(approved.body.status).toBe("approved");
    expect((await rawCall(app, "GET", `/api/companies/${companyB.id}`, undefined, joinerHeaders)).status).toBe(200);
    expect((await rawCall(app, "POST", `/api/companies/${companyB.id}/join-requests/${pending.id}/reject`, {}, owner.headers)).status).toBe(
      409,
    );
  });

  it("removing a member ends their sessions and revokes their keys", async () => {
    const leaver = await inviteAndSignUp(app, owner, companyA.id, "member");
    const key = await rawCall(app, "POST", "/api/board-api-keys", { name: "laptop" }, leaver.headers);
    expect(key.status).toBe(201);
    expect((await app.get("/api/auth/me", { token: key.body.token })).status).toBe(200);
    const removed = await rawCall(app, "DELETE", `/api/companies/${companyA.id}/members/${leaver.id}`, undefined, owner.headers);
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect((await rawCall(app, "GET", "/api/auth/me", undefined, leaver.headers)).status).toBe(401);
    expect((await app.get("/api/auth/me", { token: key.body.token })).status).toBe(401);
  });
});

describe("sign-in", () => {
  it("signs in with the right password, case-insensitive email; a wrong one is a 401", async () => {
    const ok = await signIn(app, member.email.toUpperCase());
    expect(ok.status).toBe(200);
    expect((await rawCall(app, "GET", "/api/auth/me", undefined, ok.user!.headers)).body.user.id).toBe(member.id);
    const bad = await signIn(app, member.email, "wrong password!");
    expect(bad.status).toBe(401);
    expect(bad.body.code).toBe("invalid_credentials");
    expect((await signIn(app, "nobody@example.test")).status).toBe(401);
  });

  it("is rate limited per email after 5 failures, even for the right password", async () => {
    const victim = await inviteAndSignUp(app, owner, companyA.id, "viewer");
    for (let i = 0; i < 5; i++) expect((await signIn(app, victim.email, `wrong-${i}-password`)).status).toBe(401);
    const limited = await signIn(app, victim.email);
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe("sign_in_rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("sign-out everywhere ends every session of the user", async () => {
    const second = await signIn(app, member.email);
    const res = await rawCall(app, "POST", "/api/auth/sign-out-everywhere", {}, member.headers);
    expect(res.body.revokedSessions).toBeGreaterThanOrEqual(2);
    expect((await rawCall(app, "GET", "/api/auth/me", undefined, member.headers)).status).toBe(401);
    expect((await rawCall(app, "GET", "/api/auth/me", undefined, second.user!.headers)).status).toBe(401);
    member = { ...member, ...(await signIn(app, member.email)).user! };
  });

  it("a cross-origin sign-in form is refused", async () => {
    const res = await rawCall(
      app,
      "POST",
      "/api/auth/sign-in/email",
      { email: member.email, password: PASSWORD },
      { origin: "http://evil.test" },
    );
    expect(res.status).toBe(403);
    expect(res.body.code).toBe("csrf_rejected");
  });
});

describe("CLI sign-in by challenge", () => {
  it("the CLI's key works only after a signed-in user approves, and carries that user's scope", async () => {
    const challenge = await app.post("/api/cli-auth/challenges", { command: "staple login", clientName: "laptop" }, { anonymous: true });
    expect(challenge.status).toBe(201);
    expect(challenge.body.approvalUrl).toContain(`/cli-auth/${challenge.body.id}?token=`);
    const poll = () => app.get(`/api/cli-auth/challenges/${challenge.body.id}?token=${challenge.body.token}`, { anonymous: true });
    expect((await poll()).body.status).toBe("pending");
    expect((await app.get("/api/auth/me", { token: challenge.body.boardApiToken })).status).toBe(401);
    expect((await app.get(`/api/cli-auth/challenges/${challenge.body.id}?token=wrong-secret-xxxxxxxx`, { anonymous: true })).status).toBe(
      404,
    );
    const approve = await rawCall(
      app,
      "POST",
      `/api/cli-auth/challenges/${challenge.body.id}/approve`,
      { token: challenge.body.token },
      member.headers,
    );
    expect(approve.status, JSON.stringify(approve.body)).toBe(200);
    expect((await poll()).body).toMatchObject({ status: "approved", approvedByUserId: member.id });
    const me = await app.get("/api/auth/me", { token: challenge.body.boardApiToken });
    expect(me.body.user.id).toBe(member.id);
    expect((await app.get(`/api/companies/${companyB.id}`, { token: challenge.body.boardApiToken })).status).toBe(403);
    expect((await app.post("/api/cli-auth/revoke-current", {}, { token: challenge.body.boardApiToken })).status).toBe(200);
    expect((await app.get("/api/auth/me", { token: challenge.body.boardApiToken })).status).toBe(401);
  });
});

describe("audit", () => {
  it("sign-ins, failed sign-ins, invites, role changes, removals and CLI keys are in the activity trail", async () => {
    const activity = await app.get(`/api/companies/${companyA.id}/activity?limit=500`);
    const actions = new Set((activity.body as Array<{ action: string }>).map((r) => r.action));
    for (const action of [
      "user.signed_up",
      "user.signed_in",
      "user.sign_in_failed",
      "invite.created",
      "invite.accepted",
      "member.role_changed",
      "member.removed",
      "board_api_key.created",
      "board_api_key.used",
    ]) {
      expect(actions, action).toContain(action);
    }
    // A personal key made in the board is recorded with its name (never its token).
    const keyRows = (activity.body as Array<{ action: string; details: { name?: string } | null }>).filter(
      (r) => r.action === "board_api_key.created" && r.details?.name === "laptop",
    );
    expect(keyRows).toHaveLength(1);
    // Its use is audited once (first use; then at most hourly), named, with no token.
    const useRows = (activity.body as Array<{ action: string; details: { name?: string } | null }>).filter(
      (r) => r.action === "board_api_key.used" && r.details?.name === "laptop",
    );
    expect(useRows).toHaveLength(1);
    expect(JSON.stringify(activity.body)).not.toMatch(/stb_[0-9a-f]{48}/);
  });
});

describe("local_trusted", () => {
  it("has no email sign-in, and the token file board still reaches everything", async () => {
    const local = await createTestApp();
    try {
      const res = await rawCall(local, "POST", "/api/auth/sign-in/email", { email: "a@b.test", password: PASSWORD });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe("not_authenticated_mode");
      expect((await local.get("/api/auth/status", { anonymous: true })).body).toEqual({
        deploymentMode: "local_trusted",
        setupRequired: false,
      });
      expect((await local.get("/api/companies")).status).toBe(200);
    } finally {
      await local.tdb.drop();
    }
  });
});
