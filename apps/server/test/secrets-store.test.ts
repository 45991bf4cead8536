import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";
import { NODE, readEnvDump, useRunExecutionServer } from "./helpers/run-execution-kit.js";
import { allRoutes } from "../src/http/routes/index.js";
import { keyIdOf, keyringOf, loadKeyring, MasterKeyError, KEY_FILE_NAME } from "../src/secrets/keyring.js";
import { reencryptToCurrentKey } from "../src/secrets/upgrade.js";
import { createSecretsModule } from "../src/secrets/index.js";

// Company secrets: encrypted store, board management without values, per-agent grants, agent reads in
// the activity trail, secret_ref resolution at run start, the upgrade move and master-key rotation.
const { t, tempDir, wake, waitRunDone } = useRunExecutionServer();

const VALUE = "sk-store-VALUE-1234567890";
const FINGERPRINT = /^hmac-sha256:[0-9a-f]{16}$/;

async function createSecret(companyId: string, body: Record<string, unknown> = {}) {
  const res = await t.current.post(`/api/companies/${companyId}/secrets`, {
    name: `Token ${Math.random().toString(36).slice(2, 8)}`,
    value: VALUE,
    ...body,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; key: string; fingerprint: string; latestVersion: number; grantedAgentIds: string[] };
}

async function runLog(runId: string): Promise<string> {
  const res = await t.current.get(`/api/heartbeat-runs/${runId}/log`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return JSON.stringify(res.body);
}

/** Every GET route of the table whose parameters `ids` can fill, called with `token` (board when undefined). */
async function walkGetRoutes(ids: Record<string, string>, token?: string): Promise<{ path: string; status: number; text: string }[]> {
  const answers: { path: string; status: number; text: string }[] = [];
  for (const route of allRoutes) {
    if (route.method !== "get") continue;
    let unresolved = false;
    const filled = route.path.replace(/:([A-Za-z]+)/g, (_m: string, name: string) => {
      const scoped = name === "id" ? route.path.split("/")[2] : name;
      const value = ids[scoped!];
      if (!value) unresolved = true;
      return value ?? "";
    });
    if (unresolved || filled.includes("/live")) continue;
    const res = await t.current.get(filled, { token });
    answers.push({ path: filled, status: res.status, text: typeof res.body === "string" ? res.body : JSON.stringify(res.body) });
  }
  return answers;
}

describe("board management", () => {
  it("create, list, get, rename, rotate and delete answer a mask and fingerprint, never the value; each change is an activity row", async () => {
    const company = await createCompany(t.current);
    const created = await createSecret(company.id, { name: "GitHub token", description: "CI" });
    expect(created).toMatchObject({ key: "GitHub_token", valueMask: "********", latestVersion: 1, provider: "local_encrypted" });
    expect(created.fingerprint).toMatch(FINGERPRINT);
    expect(JSON.stringify(created)).not.toContain(VALUE);

    const list = await t.current.get(`/api/companies/${company.id}/secrets`);
    expect(list.body.map((s: { id: string }) => s.id)).toEqual([created.id]);
    expect((await t.current.get(`/api/secrets/${created.id}`)).body.fingerprint).toBe(created.fingerprint);

    const renamed = await t.current.patch(`/api/secrets/${created.id}`, { key: "GH_TOKEN", description: null });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(renamed.body).toMatchObject({ key: "GH_TOKEN", description: null, fingerprint: created.fingerprint });

    const rotated = await t.current.post(`/api/secrets/${created.id}/rotate`, { value: `${VALUE}-next` });
    expect(rotated.status).toBe(200);
    expect(rotated.body.latestVersion).toBe(2);
    expect(rotated.body.rotatedAt).toBeTruthy();
    expect(rotated.body.fingerprint).not.toBe(created.fingerprint);

    // Stored encrypted: neither value appears in any column of the store.
    const rows = await t.current.tdb.db.query<{ text: string }>(
      "SELECT row_to_json(v)::text AS text FROM company_secret_versions v WHERE secret_id = $1",
      [created.id],
    );
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.text).not.toContain(VALUE);
      expect(row.text).not.toContain(Buffer.from(VALUE).toString("hex"));
    }

    const deleted = await t.current.del(`/api/secrets/${created.id}`);
    expect(deleted.status).toBe(200);
    expect((await t.current.get(`/api/secrets/${created.id}`)).status).toBe(404);

    const activity = await t.current.get(`/api/companies/${company.id}/activity`);
    const actions = (activity.body as { action: string }[]).map((a) => a.action);
    for (const action of ["secret.created", "secret.updated", "secret.rotated", "secret.deleted"]) expect(actions).toContain(action);
    expect(JSON.stringify(activity.body)).not.toContain(VALUE);
  });

  it("bad input is a 4xx naming the problem: duplicate key 409, bad key 400, empty value 400, another company's agent 422; agents get 403", async () => {
    const company = await createCompany(t.current);
    await createSecret(company.id, { key: "DUP" });
    const dup = await t.current.post(`/api/companies/${company.id}/secrets`, { name: "x", key: "DUP", value: "v" });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe("secret_key_taken");
    const badKey = await t.current.post(`/api/companies/${company.id}/secrets`, { name: "x", key: "has space", value: "v" });
    expect(badKey.status).toBe(400);
    expect(JSON.stringify(badKey.body)).toContain("key");
    const empty = await t.current.post(`/api/companies/${company.id}/secrets`, { name: "x", value: "" });
    expect(empty.status).toBe(400);
    // A field no one defines is a 400 naming it; Paperclip's own create fields are accepted and ignored.
    const stray = await t.current.post(`/api/companies/${company.id}/secrets`, { name: "x", value: "v", colour: "red" });
    expect(stray.status).toBe(400);
    expect(JSON.stringify(stray.body)).toContain("colour");
    const paperclip = await t.current.post(`/api/companies/${company.id}/secrets`, {
      name: "From Paperclip",
      value: "v",
      provider: "local_encrypted",
      managedMode: "paperclip_managed",
    });
    expect(paperclip.status, JSON.stringify(paperclip.body)).toBe(201);

    const other = await createCompany(t.current);
    const stranger = await createAgent(t.current, other.id);
    const secret = await createSecret(company.id);
    const grant = await t.current.post(`/api/secrets/${secret.id}/grants`, { agentId: stranger.id });
    expect(grant.status).toBe(422);
    expect(grant.body.code).toBe("secret_grant_agent_invalid");

    const agent = await createAgent(t.current, company.id);
    const key = (await createAgentKey(t.current, agent.id)).token;
    expect((await t.current.get(`/api/companies/${company.id}/secrets`, { token: key })).status).toBe(403);
    expect((await t.current.post(`/api/companies/${company.id}/secrets`, { name: "x", value: "v" }, { token: key })).status).toBe(403);
    // The board is not an agent: the agent routes answer 401.
    expect((await t.current.get("/api/agents/me/secrets")).status).toBe(401);
  });
});

describe("agents read only their granted secrets", () => {
  it("lists granted secrets without values; reads a value (activity row without it); ungranted and unknown keys are the same 404; revoke ends access", async () => {
    const company = await createCompany(t.current);
    const reader = await createAgent(t.current, company.id);
    const outsider = await createAgent(t.current, company.id);
    const secret = await createSecret(company.id, { key: "API_TOKEN", agentIds: [reader.id] });
    expect(secret.grantedAgentIds).toEqual([reader.id]);
    await createSecret(company.id, { key: "NOT_YOURS" });
    const readerKey = (await createAgentKey(t.current, reader.id)).token;
    const outsiderKey = (await createAgentKey(t.current, outsider.id)).token;

    const list = await t.current.get("/api/agents/me/secrets", { token: readerKey });
    expect(list.status).toBe(200);
    expect(list.body.secrets).toEqual([
      expect.objectContaining({ secretRef: secret.id, key: "API_TOKEN", latestVersion: 1, resolvedVersion: 1, versionSelector: "latest" }),
    ]);
    expect(JSON.stringify(list.body)).not.toContain(VALUE);
    expect((await t.current.get("/api/agents/me/secrets", { token: outsiderKey })).body.secrets).toEqual([]);

    const read = await t.current.post("/api/agents/me/secrets/API_TOKEN/value", undefined, { token: readerKey });
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expect(read.body).toEqual({ key: "API_TOKEN", value: VALUE, version: 1 });

    const notGranted = await t.current.post("/api/agents/me/secrets/NOT_YOURS/value", undefined, { token: readerKey });
    const unknown = await t.current.post("/api/agents/me/secrets/NOPE/value", undefined, { token: readerKey });
    const otherAgent = await t.current.post("/api/agents/me/secrets/API_TOKEN/value", undefined, { token: outsiderKey });
    for (const res of [notGranted, unknown, otherAgent]) expect(res.status).toBe(404);

    const rows = await t.current.tdb.db.query<{ actorId: string; entityId: string; details: Record<string, unknown> }>(
      "SELECT actor_id, entity_id, details FROM activity_log WHERE company_id = $1 AND action = 'secret.read'",
      [company.id],
    );
    expect(rows).toEqual([{ actorId: reader.id, entityId: secret.id, details: { key: "API_TOKEN", version: 1, via: "api_key" } }]);

    const revoked = await t.current.del(`/api/secrets/${secret.id}/grants/${reader.id}`);
    expect(revoked.body.grantedAgentIds).toEqual([]);
    expect((await t.current.post("/api/agents/me/secrets/API_TOKEN/value", undefined, { token: readerKey })).status).toBe(404);
  });
});

describe("secret_ref in adapter configuration", () => {
  // Prints the env value, then reads the same secret through the API with the run token and prints that.
  const SCRIPT = `
    require("fs").writeFileSync(process.env.OUT_DIR + "/" + process.env.PAPERCLIP_RUN_ID + ".json", JSON.stringify(process.env));
    console.log("env:" + process.env.API_TOKEN);
    fetch(process.env.PAPERCLIP_API_URL + "/api/agents/me/secrets/RUN_TOKEN/value", { method: "POST", headers: { authorization: "Bearer " + process.env.PAPERCLIP_API_KEY } })
      .then((r) => r.json()).then((b) => console.log("api:" + b.value));`;

  it("a granted ref reaches the agent's environment; the value is redacted from the run log, events and activity", async () => {
    const company = await createCompany(t.current);
    const dir = tempDir();
    const secret = await createSecret(company.id, { key: "RUN_TOKEN" });
    const agent = await createAgent(t.current, company.id, {
      adapterConfig: { command: NODE, args: ["-e", SCRIPT], env: { OUT_DIR: dir, API_TOKEN: { type: "secret_ref", secretId: secret.id } } },
    });
    // The config is stored and answered as the reference.
    expect((await t.current.get(`/api/agents/${agent.id}`)).body.adapterConfig.env.API_TOKEN).toEqual({
      type: "secret_ref",
      secretId: secret.id,
    });
    await t.current.post(`/api/secrets/${secret.id}/grants`, { agentId: agent.id });

    const run = await waitRunDone((await wake(agent.id)).id);
    expect(run.status, JSON.stringify(run)).toBe("succeeded");
    expect(readEnvDump(dir, run.id).API_TOKEN).toBe(VALUE);
    const log = await runLog(run.id);
    expect(log).toContain("env:[REDACTED]");
    expect(log).toContain("api:[REDACTED]");
    expect(log).not.toContain(VALUE);
    const events = await t.current.get(`/api/heartbeat-runs/${run.id}/events`);
    expect(JSON.stringify(events.body)).not.toContain(VALUE);

    const [read] = await t.current.tdb.db.query<{ runId: string; details: Record<string, unknown> }>(
      "SELECT run_id, details FROM activity_log WHERE company_id = $1 AND action = 'secret.read'",
      [company.id],
    );
    expect(read).toEqual({ runId: run.id, details: { key: "RUN_TOKEN", version: 1, via: "run_jwt" } });
    const activityText = JSON.stringify(await t.current.tdb.db.query("SELECT * FROM activity_log WHERE company_id = $1", [company.id]));
    expect(activityText).not.toContain(VALUE);

    // No GET route of the API answers the value, to the board or to the agent itself.
    const issue = await createIssue(t.current, company.id);
    const agentKey = (await createAgentKey(t.current, agent.id)).token;
    const ids = {
      companyId: company.id,
      agents: agent.id,
      agentId: agent.id,
      secretId: secret.id,
      "heartbeat-runs": run.id,
      issues: issue.id,
    };
    const answers = [...(await walkGetRoutes(ids)), ...(await walkGetRoutes(ids, agentKey))];
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(20);
    for (const answer of answers) expect(answer.text, answer.path).not.toContain(VALUE);
  });

  it("an ungranted ref fails the run with secret_ref_not_granted, a deleted one with secret_ref_unknown; nothing is started", async () => {
    const company = await createCompany(t.current);
    const dir = tempDir();
    const env = (secretId: string) => ({
      command: NODE,
      args: ["-e", SCRIPT],
      env: { OUT_DIR: dir, API_TOKEN: { type: "secret_ref", secretId } },
    });
    const kept = await createSecret(company.id);
    const doomed = await createSecret(company.id);
    const ungranted = await createAgent(t.current, company.id, { adapterConfig: env(kept.id) });
    const orphan = await createAgent(t.current, company.id, { adapterConfig: env(doomed.id) });
    await t.current.post(`/api/secrets/${doomed.id}/grants`, { agentId: orphan.id });
    expect((await t.current.del(`/api/secrets/${doomed.id}`)).status).toBe(200);
    const a = await waitRunDone((await wake(ungranted.id)).id);
    const b = await waitRunDone((await wake(orphan.id)).id);
    expect(a).toMatchObject({ status: "failed", errorCode: "secret_ref_not_granted" });
    expect(a.error).toContain("adapterConfig.env.API_TOKEN");
    expect(b).toMatchObject({ status: "failed", errorCode: "secret_ref_unknown" });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("saving a config that names a secret of no secret (or of another company) is a 422 naming the entry", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const foreign = await createSecret(other.id);
    for (const secretId of ["00000000-0000-4000-8000-000000000001", foreign.id]) {
      const res = await t.current.post(`/api/companies/${company.id}/agents`, {
        name: `Ref ${secretId.slice(-4)}`,
        adapterType: "process",
        adapterConfig: { command: "/bin/true", env: { TOKEN: { type: "secret_ref", secretId } } },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body).toMatchObject({ code: "secret_ref_unknown" });
      expect(res.body.error).toContain("adapterConfig.env.TOKEN");
    }
    const agent = await createAgent(t.current, company.id);
    const patch = await t.current.patch(`/api/agents/${agent.id}`, {
      adapterConfig: { command: "/bin/true", env: { TOKEN: { type: "secret_ref", secretId: foreign.id } } },
    });
    expect(patch.status).toBe(422);
    expect(patch.body.code).toBe("secret_ref_unknown");
  });

  it("a malformed ref is refused when the config is saved (400 naming the entry)", async () => {
    const company = await createCompany(t.current);
    const res = await t.current.post(`/api/companies/${company.id}/agents`, {
      name: "Bad ref",
      adapterType: "process",
      adapterConfig: { command: "/bin/true", env: { X: { type: "secret_ref", secretId: "not-a-uuid" } } },
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain("env");
  });
});

describe("upgrade: inline secrets move into the store", () => {
  it("an agent created with an inline secret (and a revision holding an older one) ends with secret_refs granted to it; a second pass moves nothing", async () => {
    const company = await createCompany(t.current);
    const dir = tempDir();
    const OLD = "sk-inline-OLD-value-000";
    const agent = await createAgent(t.current, company.id, {
      name: "Inline Holder",
      adapterConfig: { command: NODE, args: ["-e", SCRIPT_ENV], env: { OUT_DIR: dir, API_TOKEN: { type: "secret", value: OLD } } },
    });
    const config = (await t.current.get(`/api/agents/${agent.id}/configuration`)).body.adapterConfig;
    const patched = await t.current.patch(`/api/agents/${agent.id}`, {
      adapterConfig: { ...config, env: { ...config.env, API_TOKEN: { type: "secret", value: VALUE } } },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);

    const first = await t.current.services.secretStore.startUp();
    expect(first.moved).toBeGreaterThanOrEqual(2);
    const [stored] = await t.current.tdb.db.query<{ env: Record<string, any> }>(
      "SELECT adapter_config->'env' AS env FROM agents WHERE id = $1",
      [agent.id],
    );
    expect(stored!.env.API_TOKEN).toEqual({ type: "secret_ref", secretId: expect.any(String) });
    const secrets = (await t.current.get(`/api/companies/${company.id}/secrets`)).body as {
      id: string;
      key: string;
      grantedAgentIds: string[];
    }[];
    const current = secrets.find((s) => s.id === stored!.env.API_TOKEN.secretId)!;
    expect(current).toMatchObject({ key: "inline-holder_API_TOKEN", grantedAgentIds: [agent.id] });
    expect(secrets.find((s) => s.key === "inline-holder_API_TOKEN_2")?.grantedAgentIds).toEqual([agent.id]);

    // No plaintext left in the agent row, its revisions or the activity trail.
    const leftovers = await t.current.tdb.db.query<{ text: string }>(
      `SELECT row_to_json(a)::text AS text FROM agents a WHERE id = $1
       UNION ALL SELECT row_to_json(r)::text FROM agent_config_revisions r WHERE agent_id = $1
       UNION ALL SELECT row_to_json(l)::text FROM activity_log l WHERE company_id = $2`,
      [agent.id, company.id],
    );
    for (const row of leftovers) {
      expect(row.text).not.toContain(VALUE);
      expect(row.text).not.toContain(OLD);
    }
    expect((await t.current.services.secretStore.startUp()).moved).toBe(0);

    // The run still receives the value, now through the reference.
    const run = await waitRunDone((await wake(agent.id)).id);
    expect(run.status, JSON.stringify(run)).toBe("succeeded");
    expect(readEnvDump(dir, run.id).API_TOKEN).toBe(VALUE);
  });
});

const SCRIPT_ENV = `require("fs").writeFileSync(process.env.OUT_DIR + "/" + process.env.PAPERCLIP_RUN_ID + ".json", JSON.stringify(process.env));`;

describe("master key", () => {
  it("is created once as a 0600 key file under STAPLE_HOME; a malformed environment key is refused", () => {
    const home = tempDir();
    const first = loadKeyring({ home, env: {} });
    const file = path.join(home, KEY_FILE_NAME);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(loadKeyring({ home, env: {} }).currentKeyId).toBe(first.currentKeyId);
    expect(() => loadKeyring({ home, env: { STAPLE_SECRETS_MASTER_KEY: "short" } })).toThrow(MasterKeyError);
  });

  it("rotation: with a new current key and the old one as previous, values are re-encrypted under the new key and still read", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const secret = await createSecret(company.id, { key: "ROTATE_ME", agentIds: [agent.id] });
    const oldKey = fs.readFileSync(path.join(t.current.home, KEY_FILE_NAME), "utf8").trim();
    const newKey = randomBytes(32);
    const env = { STAPLE_SECRETS_MASTER_KEY: newKey.toString("base64"), STAPLE_SECRETS_PREVIOUS_KEYS: oldKey };

    const rotated = createSecretsModule(t.current.tdb.db, { home: tempDir(), env });
    const { reencrypted } = await rotated.startUp();
    expect(reencrypted).toBeGreaterThanOrEqual(1);
    const [row] = await t.current.tdb.db.query<{ keyId: string }>("SELECT key_id FROM company_secret_versions WHERE secret_id = $1", [
      secret.id,
    ]);
    expect(row!.keyId).toBe(keyIdOf(newKey));
    expect(await reencryptToCurrentKey(t.current.tdb.db, keyringOf([newKey]))).toBe(0);

    // A server with only the new key reads it; the fingerprint shown to the board did not change.
    const onlyNew = createSecretsModule(t.current.tdb.db, {
      home: tempDir(),
      env: { STAPLE_SECRETS_MASTER_KEY: newKey.toString("base64") },
    });
    const actor = { kind: "agent", agentId: agent.id, companyId: company.id, via: "api_key", keyId: null, runId: null } as const;
    expect((await onlyNew.readForAgent(actor, "ROTATE_ME")).value).toBe(VALUE);
    expect((await t.current.get(`/api/secrets/${secret.id}`)).body.fingerprint).toBe(secret.fingerprint);
    // The test server still has only the old key: its agent read is a clear 409, not a 500.
    const agentKey = (await createAgentKey(t.current, agent.id)).token;
    const stale = await t.current.post("/api/agents/me/secrets/ROTATE_ME/value", undefined, { token: agentKey });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe("secret_undecryptable");
    expect(JSON.stringify(stale.body)).not.toContain(VALUE);
  });
});
