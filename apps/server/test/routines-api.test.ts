import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";
import { useTestApp } from "./helpers/test-app.js";

/** Routines over HTTP: CRUD and validation, manual runs, webhooks, agent-vs-board permissions. */
const t = useTestApp();

async function setup() {
  const company = await createCompany(t.current);
  const agent = await createAgent(t.current, company.id);
  const res = await t.current.post(`/api/companies/${company.id}/routines`, {
    title: "Daily stand-up",
    description: "Summarize yesterday",
    assigneeAgentId: agent.id,
    priority: "high",
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { company, agent, routine: res.body };
}

function sign(secret: string, body: string, timestamp = String(Math.floor(Date.now() / 1000))) {
  return {
    "x-paperclip-timestamp": timestamp,
    "x-paperclip-signature": `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`,
  };
}

describe("routine CRUD", () => {
  it("creates with Paperclip's defaults, reads, lists, updates, and archived is terminal", async () => {
    const { company, routine } = await setup();
    expect(routine).toMatchObject({
      status: "active",
      concurrencyPolicy: "coalesce_if_active",
      catchUpPolicy: "skip_missed",
      priority: "high",
      triggers: [],
    });
    expect((await t.current.get(`/api/routines/${routine.id}`)).body.title).toBe("Daily stand-up");
    const list = await t.current.get(`/api/companies/${company.id}/routines`);
    expect(list.body.map((r: any) => r.id)).toEqual([routine.id]);
    const paused = await t.current.patch(`/api/routines/${routine.id}`, { status: "paused", title: "Stand-up" });
    expect(paused.body).toMatchObject({ status: "paused", title: "Stand-up" });
    expect((await t.current.patch(`/api/routines/${routine.id}`, { status: "archived" })).status).toBe(200);
    const revive = await t.current.patch(`/api/routines/${routine.id}`, { status: "active" });
    expect(revive.status).toBe(409);
    expect(revive.body.code).toBe("routine_archived");
    const actions = await t.current.tdb.db.query<{ action: string }>(
      "SELECT action FROM activity_log WHERE entity_id = $1 ORDER BY created_at, action",
      [routine.id],
    );
    expect(actions.map((a) => a.action)).toEqual(expect.arrayContaining(["routine.created", "routine.updated"]));
  });

  it("refuses bad input with a 4xx naming the field", async () => {
    const { company, routine } = await setup();
    const noAssignee = await t.current.post(`/api/companies/${company.id}/routines`, { title: "x" });
    expect(noAssignee.status).toBe(400);
    expect(JSON.stringify(noAssignee.body)).toContain("assigneeAgentId");
    const badPolicy = await t.current.patch(`/api/routines/${routine.id}`, { concurrencyPolicy: "sometimes" });
    expect(badPolicy.status).toBe(400);
    expect(JSON.stringify(badPolicy.body)).toContain("concurrencyPolicy");
    const badCron = await t.current.post(`/api/routines/${routine.id}/triggers`, { kind: "schedule", cronExpression: "61 * * * *" });
    expect(badCron.status).toBe(400);
    expect(badCron.body.error).toMatch(/^cronExpression: /);
    const sixFields = await t.current.post(`/api/routines/${routine.id}/triggers`, { kind: "schedule", cronExpression: "0 * * * * *" });
    expect(sixFields.status).toBe(400);
    expect(sixFields.body.error).toMatch(/^cronExpression: /);
    const badZone = await t.current.post(`/api/routines/${routine.id}/triggers`, {
      kind: "schedule",
      cronExpression: "0 9 * * 1",
      timezone: "Mars/Olympus",
    });
    expect(badZone.status).toBe(400);
    expect(badZone.body.error).toMatch(/^timezone: /);
    const otherCompany = await createCompany(t.current);
    const foreignAgent = await createAgent(t.current, otherCompany.id);
    const foreign = await t.current.post(`/api/companies/${company.id}/routines`, { title: "x", assigneeAgentId: foreignAgent.id });
    expect(foreign.status).toBe(404);
    expect((await t.current.get("/api/routines/00000000-0000-4000-8000-000000000000")).status).toBe(404);
    expect(await t.current.tdb.db.query("SELECT id FROM routine_triggers WHERE routine_id = $1", [routine.id])).toEqual([]);
  });

  it("a schedule trigger gets its next tick in its time zone; disabling clears it", async () => {
    const { routine } = await setup();
    const res = await t.current.post(`/api/routines/${routine.id}/triggers`, {
      kind: "schedule",
      cronExpression: "0 9 * * *",
      timezone: "Asia/Tokyo",
      label: "morning",
    });
    expect(res.status).toBe(201);
    expect(res.body.secretMaterial).toBeNull();
    const next = new Date(res.body.trigger.nextRunAt);
    expect(next.getUTCHours()).toBe(0); // 09:00 in Tokyo (UTC+9, no daylight saving)
    expect(next.getTime()).toBeGreaterThan(Date.now());
    const off = await t.current.patch(`/api/routine-triggers/${res.body.trigger.id}`, { enabled: false });
    expect(off.body).toMatchObject({ enabled: false, nextRunAt: null });
    const wrongKind = await t.current.patch(`/api/routine-triggers/${res.body.trigger.id}`, { replayWindowSec: 60 });
    expect(wrongKind.status).toBe(422);
  });
});

describe("POST /api/routines/:id/run", () => {
  it("creates an execution issue assigned to the routine's agent and wakes it", async () => {
    const { company, agent, routine } = await setup();
    const parent = await createIssue(t.current, company.id, { title: "Rituals" });
    await t.current.patch(`/api/routines/${routine.id}`, { parentIssueId: parent.id, concurrencyPolicy: "always_enqueue" });
    const res = await t.current.post(`/api/routines/${routine.id}/run`, { payload: { context: "quarter end" } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ source: "manual", status: "issue_created", routineId: routine.id });
    const issue = (await t.current.get(`/api/issues/${res.body.linkedIssueId}`)).body;
    expect(issue).toMatchObject({
      title: "Daily stand-up",
      assigneeAgentId: agent.id,
      status: "todo",
      priority: "high",
      parentId: parent.id,
      originKind: "routine_execution",
      originId: routine.id,
    });
    expect(issue.description).toContain("quarter end");
    const wakes = await t.current.tdb.db.query<{ reason: string }>(
      "SELECT reason FROM agent_wakeup_requests WHERE agent_id = $1 AND payload->>'issueId' = $2",
      [agent.id, issue.id],
    );
    expect(wakes.map((w) => w.reason)).toEqual(["issue_assigned"]);
    const runs = (await t.current.get(`/api/routines/${routine.id}/runs`)).body;
    expect(runs[0]).toMatchObject({ id: res.body.id, linkedIssue: { id: issue.id, status: "todo" } });
  });

  it("an idempotency key answers its earlier fire and creates nothing new; a paused routine is a 422", async () => {
    const { routine } = await setup();
    await t.current.patch(`/api/routines/${routine.id}`, { concurrencyPolicy: "always_enqueue" });
    const a = await t.current.post(`/api/routines/${routine.id}/run`, { idempotencyKey: "k1" });
    const b = await t.current.post(`/api/routines/${routine.id}/run`, { idempotencyKey: "k1" });
    expect(b.body.id).toBe(a.body.id);
    const issues = await t.current.tdb.db.query("SELECT id FROM issues WHERE origin_id = $1", [routine.id]);
    expect(issues).toHaveLength(1);
    await t.current.patch(`/api/routines/${routine.id}`, { status: "paused" });
    const paused = await t.current.post(`/api/routines/${routine.id}/run`, {});
    expect(paused.status).toBe(422);
    expect(paused.body.code).toBe("routine_not_active");
  });
});

describe("webhook triggers", () => {
  async function webhook() {
    const ctx = await setup();
    const res = await t.current.post(`/api/routines/${ctx.routine.id}/triggers`, { kind: "webhook", replayWindowSec: 120 });
    expect(res.status).toBe(201);
    const url = new URL(res.body.secretMaterial.webhookUrl);
    return { ...ctx, trigger: res.body.trigger, secret: res.body.secretMaterial.webhookSecret as string, path: url.pathname };
  }
  const countIssues = async (routineId: string) =>
    (await t.current.tdb.db.query("SELECT id FROM issues WHERE origin_id = $1", [routineId])).length;
  const countRuns = async (routineId: string) =>
    (await t.current.tdb.db.query("SELECT id FROM routine_runs WHERE routine_id = $1", [routineId])).length;

  it("a correctly signed fire needs no credential and creates the execution issue", async () => {
    const { routine, trigger, secret, path } = await webhook();
    expect(path).toBe(`/api/routine-triggers/public/${trigger.publicId}/fire`);
    const body = JSON.stringify({ event: "deploy" });
    const headers = sign(secret, body);
    const res = await t.current.call("POST", path, { rawBody: body, anonymous: true, headers });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ source: "webhook", status: "issue_created", triggerPayload: { event: "deploy" } });
    expect(await countIssues(routine.id)).toBe(1);
    // The same signed request again is a replay: the earlier fire answers, nothing new is created.
    const again = await t.current.call("POST", path, { rawBody: body, anonymous: true, headers });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(res.body.id);
    expect(await countRuns(routine.id)).toBe(1);
  });

  it("bad, missing, stale or tampered signatures are 401 and create nothing", async () => {
    const { routine, secret, path } = await webhook();
    const body = JSON.stringify({ event: "deploy" });
    const stale = String(Math.floor(Date.now() / 1000) - 3600);
    const attempts: Record<string, string>[] = [
      {},
      sign("whsec_wrong", body),
      sign(secret, JSON.stringify({ event: "other" })),
      sign(secret, body, stale),
      { ...sign(secret, body), "x-paperclip-signature": "sha256=00" },
      { authorization: `Bearer ${secret}` },
    ];
    for (const headers of attempts) {
      const res = await t.current.call("POST", path, { rawBody: body, anonymous: true, headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.body.code).toBe("webhook_signature_invalid");
    }
    expect(await countRuns(routine.id)).toBe(0);
    expect(await countIssues(routine.id)).toBe(0);
    expect((await t.current.call("POST", "/api/routine-triggers/public/nope/fire", { rawBody: body, anonymous: true })).status).toBe(404);
  });

  it("rotation returns a new secret once; the old one stops working; reads never show it", async () => {
    const { routine, trigger, secret, path } = await webhook();
    const rotated = await t.current.post(`/api/routine-triggers/${trigger.id}/rotate-secret`, {});
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.secretMaterial.webhookSecret as string;
    expect(fresh).not.toBe(secret);
    const body = "{}";
    expect((await t.current.call("POST", path, { rawBody: body, anonymous: true, headers: sign(secret, body) })).status).toBe(401);
    expect((await t.current.call("POST", path, { rawBody: body, anonymous: true, headers: sign(fresh, body) })).status).toBe(202);
    const read = JSON.stringify((await t.current.get(`/api/routines/${routine.id}`)).body);
    expect(read).not.toContain(fresh);
    expect(read).not.toContain(secret);
    const [stored] = await t.current.tdb.db.query<{ secretCiphertext: string }>(
      "SELECT secret_ciphertext FROM routine_triggers WHERE id = $1",
      [trigger.id],
    );
    expect(stored!.secretCiphertext).not.toContain(fresh);
  });

  it("a secret sealed under another server secret is a 409 naming rotation, not a 500", async () => {
    const { trigger, secret, path } = await webhook();
    await t.current.tdb.db.query("UPDATE routine_triggers SET secret_ciphertext = 'v1.AAAA.AAAA.AAAA' WHERE id = $1", [trigger.id]);
    const res = await t.current.call("POST", path, { rawBody: "{}", anonymous: true, headers: sign(secret, "{}") });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("webhook_secret_unreadable");
  });

  it("bearer mode checks Authorization: Bearer <secret>", async () => {
    const { routine } = await setup();
    const res = await t.current.post(`/api/routines/${routine.id}/triggers`, { kind: "webhook", signingMode: "bearer" });
    const path = new URL(res.body.secretMaterial.webhookUrl).pathname;
    const secret = res.body.secretMaterial.webhookSecret;
    expect((await t.current.call("POST", path, { rawBody: "{}", anonymous: true, headers: { authorization: "Bearer nope" } })).status).toBe(
      401,
    );
    expect(
      (await t.current.call("POST", path, { rawBody: "{}", anonymous: true, headers: { authorization: `Bearer ${secret}` } })).status,
    ).toBe(202);
  });
});

describe("permissions", () => {
  it("agents read their company's routines and manage only their own; the board manages all", async () => {
    const { company, agent, routine } = await setup();
    const other = await createAgent(t.current, company.id);
    const own = await createAgentKey(t.current, agent.id);
    const stranger = await createAgentKey(t.current, other.id);
    expect((await t.current.get(`/api/routines/${routine.id}`, { token: stranger.token })).status).toBe(200);
    expect((await t.current.get(`/api/companies/${company.id}/routines`, { token: stranger.token })).status).toBe(200);
    const cases: [string, () => Promise<{ status: number }>][] = [
      ["update", () => t.current.patch(`/api/routines/${routine.id}`, { title: "mine now" }, { token: stranger.token })],
      ["run", () => t.current.post(`/api/routines/${routine.id}/run`, {}, { token: stranger.token })],
      ["add trigger", () => t.current.post(`/api/routines/${routine.id}/triggers`, { kind: "api" }, { token: stranger.token })],
      [
        "create for another",
        () => t.current.post(`/api/companies/${company.id}/routines`, { title: "x", assigneeAgentId: agent.id }, { token: stranger.token }),
      ],
      ["reassign", () => t.current.patch(`/api/routines/${routine.id}`, { assigneeAgentId: other.id }, { token: own.token })],
    ];
    for (const [name, call] of cases) expect((await call()).status, name).toBe(403);
    expect((await t.current.patch(`/api/routines/${routine.id}`, { title: "still mine" }, { token: own.token })).status).toBe(200);
    const mine = await t.current.post(
      `/api/companies/${company.id}/routines`,
      { title: "self", assigneeAgentId: other.id },
      { token: stranger.token },
    );
    expect(mine.status).toBe(201);
    expect(mine.body.createdByAgentId).toBe(other.id);
    expect((await t.current.post(`/api/routines/${routine.id}/run`, {}, { token: own.token })).status).toBe(202);
    // Another company's agent does not see the routine at all.
    const foreignCompany = await createCompany(t.current);
    const foreign = await createAgentKey(t.current, (await createAgent(t.current, foreignCompany.id)).id);
    expect((await t.current.get(`/api/routines/${routine.id}`, { token: foreign.token })).status).toBe(404);
    expect((await t.current.get(`/api/companies/${company.id}/routines`, { token: foreign.token })).status).toBe(403);
    // The board manages any routine.
    expect((await t.current.patch(`/api/routines/${routine.id}`, { assigneeAgentId: other.id })).status).toBe(200);
  });
});
