import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";

// Secret env values are write-only (D4) and what agents write through the API is redacted (D11).
const t = useTestServer({ runtime: { recovery: { strandedReconciliation: false, missingComment: false } } });

const SECRET = "sk-live-SECRET123";
const SHORT = "abc1234"; // 7 characters: below the redaction floor for agent writes
const FINGERPRINT = /^hmac-sha256:[0-9a-f]{12}$/;

async function secretHolder(companyId: string, env: Record<string, unknown> = {}) {
  const res = await t.current.post(`/api/companies/${companyId}/agents`, {
    name: `Secret holder ${Math.random().toString(36).slice(2, 8)}`,
    adapterType: "process",
    adapterConfig: {
      command: "/bin/true",
      env: { MY_KEY: { type: "secret", value: SECRET }, SHORT_KEY: { type: "secret", value: SHORT }, PLAIN: "visible", ...env },
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; adapterConfig: { env: Record<string, any> } };
}

async function storedEnv(agentId: string): Promise<Record<string, any>> {
  const [row] = await t.current.tdb.db.query<{ env: Record<string, any> }>(
    "SELECT adapter_config->'env' AS env FROM agents WHERE id = $1",
    [agentId],
  );
  return row!.env;
}

describe("D4: secret env values are write-only", () => {
  it("the create answer, every agent read and the activity show a mask with a stable fingerprint, never the value (board and another agent)", async () => {
    const company = await createCompany(t.current);
    const created = await secretHolder(company.id);
    expect(JSON.stringify(created)).not.toContain(SECRET);
    const mask = created.adapterConfig.env.MY_KEY;
    expect(mask).toEqual({ type: "secret", masked: true, fingerprint: expect.stringMatching(FINGERPRINT) });
    expect(created.adapterConfig.env.PLAIN).toBe("visible");

    const other = await createAgent(t.current, company.id);
    const otherKey = (await createAgentKey(t.current, other.id)).token;
    const ownKey = (await createAgentKey(t.current, created.id)).token;
    const reads: [string, string | undefined][] = [];
    for (const token of [undefined, otherKey]) {
      for (const p of [
        `/api/agents/${created.id}`,
        `/api/agents/${created.id}/configuration`,
        `/api/companies/${company.id}/agents`,
        `/api/companies/${company.id}/org`,
        `/api/companies/${company.id}/activity`,
      ]) {
        reads.push([p, token]);
      }
    }
    reads.push(["/api/agents/me", ownKey]);
    for (const [p, token] of reads) {
      const res = await t.current.get(p, { token });
      expect(res.status, `${p} ${JSON.stringify(res.body)}`).toBe(200);
      const text = JSON.stringify(res.body);
      expect(text, p).not.toContain(SECRET);
      expect(text, p).not.toContain(SHORT);
      if (!p.endsWith("/org") && !p.endsWith("/activity")) expect(text, p).toContain(mask.fingerprint); // same fingerprint on every read
    }
    // Lifecycle answers serialize the agent too.
    for (const action of ["pause", "resume"]) {
      const res = await t.current.post(`/api/agents/${created.id}/${action}`);
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toContain(SECRET);
    }
    // The fingerprint is keyed per agent: the same value on another agent does not give the same mask.
    const twin = await secretHolder(company.id);
    expect(twin.adapterConfig.env.MY_KEY.fingerprint).not.toBe(mask.fingerprint);
  });

  it("PATCH: a masked entry sent back unchanged keeps the stored value; a new value replaces it; stale or orphan masks are refused", async () => {
    const company = await createCompany(t.current);
    const agent = await secretHolder(company.id);
    const config = (await t.current.get(`/api/agents/${agent.id}/configuration`)).body.adapterConfig;
    const roundTrip = await t.current.patch(`/api/agents/${agent.id}`, {
      adapterConfig: { ...config, env: { ...config.env, PLAIN: "changed" } },
    });
    expect(roundTrip.status, JSON.stringify(roundTrip.body)).toBe(200);
    expect(JSON.stringify(roundTrip.body)).not.toContain(SECRET);
    expect(roundTrip.body.adapterConfig.env.MY_KEY).toEqual(config.env.MY_KEY);
    expect(await storedEnv(agent.id)).toEqual({
      MY_KEY: { type: "secret", value: SECRET },
      SHORT_KEY: { type: "secret", value: SHORT },
      PLAIN: "changed",
    });

    // A masked entry under a name with no stored secret has nothing to keep: 400 naming the entry.
    const orphan = await t.current.patch(`/api/agents/${agent.id}`, { adapterConfig: { ...config, env: { OTHER: config.env.MY_KEY } } });
    expect(orphan.status).toBe(400);
    expect(orphan.body.error).toContain("adapterConfig.env.OTHER");
    // A fingerprint that no longer matches the stored value (changed meanwhile, or forged): 409.
    const forged = await t.current.patch(`/api/agents/${agent.id}`, {
      adapterConfig: { ...config, env: { MY_KEY: { type: "secret", masked: true, fingerprint: "hmac-sha256:000000000000" } } },
    });
    expect(forged.status).toBe(409);
    expect(forged.body.code).toBe("secret_env_changed");
    // Create cannot reference a stored secret.
    const create = await t.current.post(`/api/companies/${company.id}/agents`, {
      name: "Copycat",
      adapterType: "process",
      adapterConfig: { command: "/bin/true", env: { MY_KEY: config.env.MY_KEY } },
    });
    expect(create.status).toBe(400);
    expect(create.body.error).toContain("adapterConfig.env.MY_KEY");

    const replaced = await t.current.patch(`/api/agents/${agent.id}`, {
      adapterConfig: { ...config, env: { MY_KEY: { type: "secret", value: "sk-live-ROTATED456" } } },
    });
    expect(replaced.status).toBe(200);
    expect(JSON.stringify(replaced.body)).not.toContain("sk-live-ROTATED456");
    expect(replaced.body.adapterConfig.env.MY_KEY.fingerprint).not.toBe(config.env.MY_KEY.fingerprint);
    expect(await storedEnv(agent.id)).toEqual({ MY_KEY: { type: "secret", value: "sk-live-ROTATED456" } });

    const leaks = await t.current.tdb.db.query(
      "SELECT id FROM activity_log WHERE company_id = $1 AND (details::text LIKE '%sk-live-%' OR details::text LIKE $2)",
      [company.id, `%${SHORT}%`],
    );
    expect(leaks).toEqual([]);
  });

  it("the run still receives the real value in its environment, and what it writes with its run token is redacted", async () => {
    const company = await createCompany(t.current);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-secret-run-"));
    const out = path.join(dir, "env.txt");
    // The agent process records its env, then posts the secret and its own run token as a comment.
    const script = `
      const fs = require("node:fs");
      fs.writeFileSync(${JSON.stringify(out)}, process.env.MY_KEY);
      fetch(process.env.PAPERCLIP_API_URL + "/api/issues/" + process.env.PAPERCLIP_TASK_ID + "/comments", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer " + process.env.PAPERCLIP_API_KEY, "x-paperclip-run-id": process.env.PAPERCLIP_RUN_ID },
        body: JSON.stringify({ body: "my key is " + process.env.MY_KEY + " and my token is " + process.env.PAPERCLIP_API_KEY }),
      }).then((r) => { if (r.status !== 201) process.exit(3); });`;
    const res = await t.current.post(`/api/companies/${company.id}/agents`, {
      name: "Leaky runner",
      adapterType: "process",
      adapterConfig: { command: process.execPath, args: ["-e", script], env: { MY_KEY: { type: "secret", value: SECRET } } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const issue = await createIssue(t.current, company.id, { title: "Leak it", status: "todo", assigneeAgentId: res.body.id });
    await waitFor("run finished", async () => {
      const [r] = await t.current.tdb.db.query<{ status: string }>("SELECT status FROM heartbeat_runs WHERE issue_id = $1", [issue.id]);
      return r && r.status !== "queued" && r.status !== "running" ? r : null;
    });
    expect(fs.readFileSync(out, "utf8")).toBe(SECRET);
    const reader = (await createAgentKey(t.current, (await createAgent(t.current, company.id)).id)).token;
    const comments = (await t.current.get(`/api/issues/${issue.id}/comments`, { token: reader })).body as {
      body: string;
      authorType: string;
    }[];
    const written = comments.find((c) => c.body.startsWith("my key is"));
    expect(written?.body).toBe("my key is [REDACTED] and my token is [REDACTED]");
  });
});

describe("D11: what an agent writes through the API is redacted", () => {
  it("comments, documents and their revisions, work products, issue title/description and activity keep [REDACTED] for another agent to read", async () => {
    const company = await createCompany(t.current);
    await secretHolder(company.id);
    const writer = await createAgent(t.current, company.id);
    const writerKey = (await createAgentKey(t.current, writer.id)).token;
    const readerKey = (await createAgentKey(t.current, (await createAgent(t.current, company.id)).id)).token;
    const leak = `my key is ${SECRET}`;

    const issue = await createIssue(t.current, company.id, { title: `title ${SECRET}`, description: leak }, writerKey);
    expect(issue.title).toBe("title [REDACTED]");
    const patched = await t.current.patch(
      `/api/issues/${issue.id}`,
      { description: `desc leak ${SECRET}`, comment: `via update ${SECRET}` },
      { token: writerKey },
    );
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const comment = await t.current.post(
      `/api/issues/${issue.id}/comments`,
      { body: `${leak}; my api key is ${writerKey}; short ${SHORT}` },
      { token: writerKey },
    );
    expect(comment.status).toBe(201);
    const doc = await t.current.put(
      `/api/issues/${issue.id}/documents/plan`,
      { title: `plan ${SECRET}`, format: "markdown", body: leak, changeSummary: SECRET },
      { token: writerKey },
    );
    expect(doc.status, JSON.stringify(doc.body)).toBe(201);
    const rev = await t.current.put(
      `/api/issues/${issue.id}/documents/plan`,
      { format: "markdown", body: `${leak} (rev 2)`, baseRevisionId: doc.body.latestRevisionId },
      { token: writerKey },
    );
    expect(rev.status, JSON.stringify(rev.body)).toBe(200);
    const wp = await t.current.post(
      `/api/issues/${issue.id}/work-products`,
      {
        type: "artifact",
        provider: "custom",
        title: leak,
        summary: leak,
        url: `https://files.example/x?k=${SECRET}`,
        metadata: { token: SECRET, nested: [leak] },
      },
      { token: writerKey },
    );
    expect(wp.status, JSON.stringify(wp.body)).toBe(201);

    const reads = [
      `/api/issues/${issue.id}`,
      `/api/issues/${issue.id}/comments`,
      `/api/issues/${issue.id}/documents/plan`,
      `/api/issues/${issue.id}/documents/plan/revisions`,
      `/api/issues/${issue.id}/documents`,
      `/api/issues/${issue.id}/work-products`,
      `/api/issues/${issue.id}/activity`,
      `/api/companies/${company.id}/activity`,
    ];
    for (const p of reads) {
      const res = await t.current.get(p, { token: readerKey });
      expect(res.status, p).toBe(200);
      const text = JSON.stringify(res.body);
      expect(text, p).not.toContain(SECRET);
      expect(text, p).not.toContain(writerKey);
      expect(text, p).toContain("[REDACTED]");
    }
    const comments = (await t.current.get(`/api/issues/${issue.id}/comments`, { token: readerKey })).body as { body: string }[];
    // The secret and the pcp_ key are gone; a value below the floor stays (it would blank ordinary words).
    expect(comments.map((c) => c.body)).toContain(`my key is [REDACTED]; my api key is [REDACTED]; short ${SHORT}`);
    expect(comments.map((c) => c.body)).toContain("via update [REDACTED]");
    const detail = (await t.current.get(`/api/issues/${issue.id}`, { token: readerKey })).body;
    expect(detail.description).toBe("desc leak [REDACTED]");
    const [stored] = await t.current.tdb.db.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM document_revisions WHERE company_id = $1 AND (body LIKE '%sk-live-%' OR change_summary LIKE '%sk-live-%'))
            + (SELECT count(*) FROM activity_log WHERE company_id = $1 AND details::text LIKE '%sk-live-%') AS n`,
      [company.id],
    );
    expect(Number(stored!.n)).toBe(0);
    // Board writes are stored as sent: the board owns the secrets.
    const board = await t.current.post(`/api/issues/${issue.id}/comments`, { body: `rotate ${SECRET} tomorrow` });
    expect(board.body.body).toBe(`rotate ${SECRET} tomorrow`);
  });
});
