import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../apps/cli/test/helpers/cli.js";
import { httpJson, type ServerProcess, startServerProcess } from "../apps/server/test/helpers/server-process.js";

/**
 * `staple import paperclip` against a database the real Paperclip wrote: a paperclipai server (from
 * compat/install.sh; 2026.707.0 on Node 20, 2026.916.1 on Node 24) runs on a fresh database of the Postgres server that
 * `.ci/with-postgres` provides (TEST_DATABASE_URL), a company is built through Paperclip's own
 * API (agents in a hierarchy, a project, labelled issues with a parent, a blocker, a comment and a
 * document, a run the assignment starts, a cost event, an approval with a comment), Paperclip is
 * stopped, and the CLI imports the database into a Staple server. Every entity is compared with
 * what Paperclip's tables hold. Skips, saying why, when there is no Postgres or the package is
 * not installed or does not start.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CACHE = process.env.COMPAT_CACHE ?? path.join(ROOT, ".compat-cache");
const ADMIN_URL = process.env.TEST_DATABASE_URL;

/** One Paperclip version's scenario, in its own test file (the lane runs two files side by side). */
export function paperclipDbScenario(version: string, node: string) {
  const PAPERCLIP_SERVER = path.join(CACHE, `paperclipai-${version}/node_modules/@paperclipai/server/dist/index.js`);
  let skipReason: string | null = null;
  let paperclip: ChildProcess | null = null;
  let paperclipLog = "";
  let staple: ServerProcess | null = null;
  let dbUrl = "";
  let dbName = "";
  let pcHome = "";
  let pc = ""; // Paperclip's API base
  const made: Record<string, any> = {};

  async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const s = net.createServer();
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
  }

  async function call(method: string, p: string, body?: unknown): Promise<any> {
    const res = await fetch(pc + p, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Paperclip ${method} ${p}: ${res.status} ${text.slice(0, 500)}`);
    return text ? JSON.parse(text) : null;
  }

  async function stopPaperclip() {
    const child = paperclip;
    paperclip = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }

  /** Starts Paperclip on `dbUrl`; a start that fails or times out is a skip reason, not a failure. */
  async function startPaperclip(): Promise<string | null> {
    const port = await freePort();
    pc = `http://127.0.0.1:${port}/api`;
    pcHome = fs.mkdtempSync(path.join(os.tmpdir(), "staple-compat-pc-"));
    paperclip = spawn(node, [PAPERCLIP_SERVER], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: pcHome,
        PAPERCLIP_HOME: pcHome,
        DATABASE_URL: dbUrl,
        PORT: String(port),
        HOST: "127.0.0.1",
        PAPERCLIP_DEPLOYMENT_MODE: "local_trusted",
        PAPERCLIP_MIGRATION_AUTO_APPLY: "true",
        PAPERCLIP_TELEMETRY_DISABLED: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    paperclip.stdout!.on("data", (d) => (paperclipLog = (paperclipLog + String(d)).slice(-6000)));
    paperclip.stderr!.on("data", (d) => (paperclipLog = (paperclipLog + String(d)).slice(-6000)));
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      if (paperclip.exitCode !== null) return `paperclipai ${version} exited on start (${paperclip.exitCode}): ${paperclipLog.slice(-800)}`;
      try {
        const res = await fetch(`${pc}/health`);
        if (res.ok) return null;
      } catch {}
      await new Promise((r) => setTimeout(r, 500));
    }
    await stopPaperclip();
    return `paperclipai ${version} did not answer /api/health within 120 s: ${paperclipLog.slice(-800)}`;
  }

  /** Paperclip's runs are asynchronous: wait (bounded) until none is queued or running. */
  async function waitForRuns(companyId: string) {
    for (let i = 0; i < 120; i++) {
      const runs: any[] = await call("GET", `/companies/${companyId}/heartbeat-runs`);
      if (runs.length > 0 && runs.every((r) => !["queued", "running", "scheduled_retry"].includes(r.status))) return runs;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error("Paperclip's runs did not finish within 60 s");
  }

  async function buildCompany() {
    const company = await call("POST", "/companies", { name: "Compat Works", description: `made by paperclipai ${version}` });
    const ceo = await call("POST", `/companies/${company.id}/agents`, {
      name: "Chief",
      role: "ceo",
      adapterType: "process",
      adapterConfig: { command: "echo", args: ["ceo"] },
      budgetMonthlyCents: 12_000,
    });
    const eng = await call("POST", `/companies/${company.id}/agents`, {
      name: "Builder",
      role: "engineer",
      reportsTo: ceo.id,
      adapterType: "process",
      adapterConfig: { command: "echo", args: ["built"] },
    });
    const project = await call("POST", `/companies/${company.id}/projects`, { name: "Website", status: "in_progress" });
    const label = await call("POST", `/companies/${company.id}/labels`, { name: "bug", color: "#ff0000" });
    const parent = await call("POST", `/companies/${company.id}/issues`, {
      title: "Launch",
      status: "todo",
      priority: "high",
      projectId: project.id,
    });
    const blocker = await call("POST", `/companies/${company.id}/issues`, { title: "Domain name", status: "todo", labelIds: [label.id] });
    const child = await call("POST", `/companies/${company.id}/issues`, {
      title: "Landing page",
      status: "todo",
      parentId: parent.id,
      assigneeAgentId: eng.id,
      labelIds: [label.id],
    });
    await call("PATCH", `/issues/${child.id}`, { blockedByIssueIds: [blocker.id] });
    const comment = await call("POST", `/issues/${child.id}/comments`, { body: "Please use the brand colours" });
    await call("PUT", `/issues/${child.id}/documents/plan`, { title: "Plan", format: "markdown", body: "# Plan\n\n1. Draft\n2. Ship" });
    await call("POST", `/companies/${company.id}/cost-events`, {
      agentId: eng.id,
      issueId: child.id,
      provider: "anthropic",
      model: "claude-test",
      inputTokens: 1000,
      outputTokens: 200,
      costCents: 37,
      occurredAt: new Date().toISOString(),
    });
    const approval = await call("POST", `/companies/${company.id}/approvals`, {
      type: "approve_ceo_strategy",
      payload: { plan: "Ship the site" },
      issueIds: [child.id],
    });
    await call("POST", `/approvals/${approval.id}/comments`, { body: "Looks right" });
    await call("POST", `/approvals/${approval.id}/approve`, { decisionNote: "Go" });
    const runs = await waitForRuns(company.id);
    Object.assign(made, { company, ceo, eng, project, label, parent, blocker, child, comment, approval, runs });
  }

  beforeAll(async () => {
    await prepare();
    if (skipReason) console.warn(`compat/paperclip-db-import ${version}: skipped: ${skipReason}`);
  }, 300_000);

  async function prepare() {
    if (!ADMIN_URL) {
      skipReason = "no Postgres server (TEST_DATABASE_URL is unset; the CI lane runs this under .ci/with-postgres)";
      return;
    }
    for (const file of [PAPERCLIP_SERVER, node]) {
      if (!fs.existsSync(file)) {
        skipReason = `paperclipai ${version} is not installed (${file} missing; run compat/install.sh)`;
        return;
      }
    }
    dbName = `paperclip_compat_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const u = new URL(ADMIN_URL);
    u.pathname = `/${dbName}`;
    dbUrl = u.toString();
    skipReason = await startPaperclip();
    if (skipReason) return;
    try {
      await buildCompany();
    } finally {
      await stopPaperclip();
    }
    staple = await startServerProcess({});
  }

  afterAll(async () => {
    await stopPaperclip();
    await staple?.stop();
    if (pcHome) fs.rmSync(pcHome, { recursive: true, force: true });
    if (ADMIN_URL && dbName) {
      const admin = new pg.Client({ connectionString: ADMIN_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
      await admin.end();
    }
  }, 60_000);

  describe(`staple import paperclip (a database written by paperclipai ${version})`, () => {
    it("previews, imports every entity with its history, and the import matches Paperclip's tables", async (ctx) => {
      if (skipReason) return ctx.skip(skipReason);
      const env = { STAPLE_API_URL: staple!.url, STAPLE_HOME: staple!.home };
      const preview = await runCli(["import", "paperclip", "--database-url", dbUrl], env, 120_000);
      expect(preview.code, preview.stderr).toBe(0);
      expect(preview.stdout).toContain("Import into new company Compat Works");
      expect(preview.stdout).toMatch(/history: \d+ runs, \d+ activity, 1 costEvents, 1 approvals, 1 approvalComments/);
      expect(preview.stdout).toContain("Preview only");
      expect((await httpJson(staple!.url, "GET", "/api/companies")).body).toEqual([]);

      const applied = await runCli(["import", "paperclip", "--database-url", dbUrl, "--apply", "--json"], env, 120_000);
      expect(applied.code, applied.stderr).toBe(0);
      const { companies } = JSON.parse(applied.stdout);
      expect(companies).toHaveLength(1);
      const { result } = companies[0];
      const cid = result.company.id;
      const newId = (list: any[], old: string) => list.find((x) => x.slug === old)?.id;

      // What Paperclip's own tables hold, read the same way a person would check.
      const db = new pg.Client({ connectionString: dbUrl });
      await db.connect();
      const count = async (sql: string) => Number((await db.query(sql, [made.company.id])).rows[0].n);
      const pcRuns = await count("SELECT count(*) AS n FROM heartbeat_runs WHERE company_id = $1");
      const pcActivity = await count("SELECT count(*) AS n FROM activity_log WHERE company_id = $1");
      await db.end();
      expect(pcRuns).toBeGreaterThan(0);

      const get = async (p: string) => {
        const res = await httpJson(staple!.url, "GET", p);
        expect(res.status, `${p}: ${JSON.stringify(res.body)}`).toBe(200);
        return res.body;
      };
      const company = await get(`/api/companies/${cid}`);
      expect([company.name, company.issuePrefix, company.description]).toEqual([
        "Compat Works",
        made.company.issuePrefix,
        made.company.description,
      ]);

      const ceo = await get(`/api/agents/${newId(result.agents, made.ceo.id)}`);
      const eng = await get(`/api/agents/${newId(result.agents, made.eng.id)}`);
      expect([ceo.name, ceo.role, ceo.budgetMonthlyCents, ceo.adapterType, ceo.adapterConfig.command]).toEqual([
        "Chief",
        "ceo",
        12_000,
        "process",
        "echo",
      ]);
      expect([eng.name, eng.role, eng.reportsTo]).toEqual(["Builder", "engineer", ceo.id]);
      // Heartbeat settings come across; a concurrency above Staple's cap (10) is capped, as the preview warned.
      const pcHeartbeat = made.eng.runtimeConfig.heartbeat;
      expect(eng.runtimeConfig.heartbeat.enabled).toBe(pcHeartbeat.enabled);
      expect(eng.runtimeConfig.heartbeat.maxConcurrentRuns).toBe(Math.min(pcHeartbeat.maxConcurrentRuns, 10));
      if (pcHeartbeat.maxConcurrentRuns > 10) expect(preview.stdout).toContain("maxConcurrentRuns");

      const issueBySlug = (old: string) => result.issues.find((i: any) => i.slug === old);
      for (const old of [made.parent, made.blocker, made.child]) expect(issueBySlug(old.id).identifier).toBe(old.identifier);
      const child = await get(`/api/issues/${issueBySlug(made.child.id).id}`);
      expect(child.title).toBe("Landing page");
      expect(child.parentId).toBe(issueBySlug(made.parent.id).id);
      expect(child.assigneeAgentId).toBe(eng.id);
      expect(child.labels.map((l: any) => l.name)).toEqual(["bug"]);
      expect(child.blockedBy.map((b: any) => b.id)).toEqual([issueBySlug(made.blocker.id).id]);
      expect((await get(`/api/issues/${issueBySlug(made.parent.id).id}`)).projectId).toBe(newId(result.projects, made.project.id));
      const comments = await get(`/api/issues/${child.id}/comments`);
      expect(comments.map((c: any) => c.body)).toContain("Please use the brand colours");
      expect((await get(`/api/issues/${child.id}/documents/plan`)).body).toBe("# Plan\n\n1. Draft\n2. Ship");

      const runs = await get(`/api/companies/${cid}/heartbeat-runs`);
      expect(runs).toHaveLength(pcRuns);
      expect(runs.every((r: any) => ["succeeded", "failed", "cancelled", "timed_out"].includes(r.status))).toBe(true);
      // Every run of the engineer, compared as a set: two runs created in the same millisecond can
      // list in either order on either side.
      const finished = (list: any[], agentId: string) =>
        list
          .filter((r) => r.agentId === agentId)
          .map((r) => `${r.status} ${r.finishedAt ? new Date(r.finishedAt).toISOString() : null}`)
          .sort();
      expect(finished(runs, eng.id)).toEqual(finished(made.runs, made.eng.id));
      expect(finished(runs, eng.id).length).toBeGreaterThan(0);

      const activity = await get(`/api/companies/${cid}/activity?limit=500`);
      expect(activity.filter((a: any) => a.action !== "company.imported").length).toBe(pcActivity);
      expect(activity.some((a: any) => a.entityId === child.id)).toBe(true);

      const costs = await get(`/api/companies/${cid}/costs/summary`);
      expect(costs.spendCents).toBe(37);
      const approvals = await get(`/api/companies/${cid}/approvals?status=approved`);
      expect(approvals.map((a: any) => [a.type, a.decisionNote])).toEqual([["approve_ceo_strategy", "Go"]]);
      expect((await get(`/api/approvals/${approvals[0].id}/comments`)).map((c: any) => c.body)).toEqual(["Looks right"]);
    });
  });
}
