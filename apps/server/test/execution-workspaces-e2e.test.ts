import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { processAdapter } from "@staple/adapter-process";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";
import { createExecutionWorkspaces } from "../src/workspaces/service.js";
import { createLogger } from "../src/logger.js";

/**
 * Execution workspaces end to end (docs/workspaces.md): a real git repository, a project workspace
 * on it, and script agents (process adapter) that write a file named after their issue and commit.
 */

const t = useTestServer({
  runtime: {
    adapters: { process: processAdapter },
    recovery: { strandedReconciliation: false, missingComment: false, immediateRecovery: false, livenessContinuation: false },
  },
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "staple-ews-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const gitIn = (cwd: string, ...args: string[]) => execFileSync("git", ["-C", cwd, ...args], { encoding: "utf8" }).trim();

function makeRepo(name: string): string {
  const repo = path.join(tmp, name);
  fs.mkdirSync(repo);
  gitIn(repo, "init", "-q", "-b", "main");
  gitIn(repo, "config", "user.email", "agent@example.test");
  gitIn(repo, "config", "user.name", "Script Agent");
  fs.writeFileSync(path.join(repo, "README.md"), "# demo\n");
  gitIn(repo, "add", "README.md");
  gitIn(repo, "commit", "-q", "-m", "initial");
  return repo;
}

/**
 * The agent: writes `<issueId>.txt` in its working directory, waits (bounded) until every agent
 * named in RENDEZVOUS_PEERS has written its marker too (so the runs provably overlap), lists the
 * directory, commits its file, and prints a pull-request URL when PR_URL is set.
 */
const AGENT_SCRIPT = `
const fs = require("node:fs"), path = require("node:path"), { execFileSync } = require("node:child_process");
const issue = process.env.PAPERCLIP_TASK_ID;
const file = issue + ".txt";
const existed = fs.existsSync(file);
fs.appendFileSync(file, "run " + process.env.PAPERCLIP_RUN_ID + "\\n");
const rdv = process.env.RENDEZVOUS_DIR;
if (rdv) {
  fs.writeFileSync(path.join(rdv, issue), "here");
  const peers = (process.env.RENDEZVOUS_PEERS || "").split(",").filter(Boolean);
  const until = Date.now() + 20000;
  while (Date.now() < until && !peers.every((p) => fs.existsSync(path.join(rdv, p)))) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  if (!peers.every((p) => fs.existsSync(path.join(rdv, p)))) { console.error("peers never arrived"); process.exit(3); }
}
console.log("REPORT " + JSON.stringify({
  cwd: process.cwd(), existed, listing: fs.readdirSync(".").filter((f) => f.endsWith(".txt")).sort(),
  branch: process.env.PAPERCLIP_WORKSPACE_BRANCH, created: process.env.PAPERCLIP_WORKSPACE_CREATED,
  wsCwd: process.env.PAPERCLIP_WORKSPACE_CWD, baseCwd: process.env.PAPERCLIP_WORKSPACE_BASE_CWD,
}));
execFileSync("git", ["add", file]);
execFileSync("git", ["commit", "-q", "-m", "work on " + issue + (existed ? " (again)" : "")]);
if (process.env.PR_URL) console.log("Opened " + process.env.PR_URL);
`;

function scriptAgent(companyId: string, env: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  return createAgent(t.current, companyId, {
    adapterConfig: { command: process.execPath, args: ["-e", AGENT_SCRIPT], env, timeoutSec: 60, ...extra },
  });
}

interface RunInfo {
  id: string;
  status: string;
  errorCode: string | null;
  startedAt: Date;
  finishedAt: Date;
}

async function runsOf(issueId: string): Promise<RunInfo[]> {
  return t.current.tdb.db.query<RunInfo>(
    "SELECT id, status, error_code, started_at, finished_at FROM heartbeat_runs WHERE issue_id = $1 ORDER BY created_at",
    [issueId],
  );
}

async function finishedRuns(issueId: string, count: number): Promise<RunInfo[]> {
  return waitFor(
    `${count} finished run(s) of ${issueId}`,
    async () => {
      const runs = await runsOf(issueId);
      const done = runs.filter((r) => ["succeeded", "failed", "timed_out", "cancelled"].includes(r.status));
      return done.length >= count ? done : null;
    },
    60_000,
  );
}

/** The workspace once closed (the scheduler's own pass may be the one closing it, so poll). */
async function closedWorkspace(id: string): Promise<Record<string, any>> {
  return waitFor(`workspace ${id} closed`, async () => {
    await t.current.services.engine.runPeriodicPass();
    const res = await t.current.get(`/api/execution-workspaces/${id}`);
    return res.body.closedAt ? (res.body as Record<string, any>) : null;
  });
}

async function report(runId: string): Promise<Record<string, any>> {
  const log = await t.current.get(`/api/heartbeat-runs/${runId}/log?limitBytes=1000000`);
  const text = String(log.body.content)
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l).chunk as string)
    .join("");
  const line = text.split("\n").find((l) => l.startsWith("REPORT "));
  expect(line, text).toBeDefined();
  return { ...JSON.parse(line!.slice("REPORT ".length)), log: text };
}

async function createProject(companyId: string, repo: string, policy: Record<string, unknown> | null) {
  const res = await t.current.post(`/api/companies/${companyId}/projects`, {
    name: `Repo ${path.basename(repo)}`,
    workspaces: [{ name: "main", cwd: repo }],
    ...(policy ? { executionWorkspacePolicy: policy } : {}),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; executionWorkspacePolicy: unknown };
}

/** Real git and several agent processes per test: generous bounds for a loaded machine. */
const E2E_TIMEOUT_MS = 150_000;

describe("execution workspaces (isolated git worktree per issue)", () => {
  it(
    "two agents on two issues of one repository work at once, each on its own branch, neither seeing the other's file; the worktree survives between runs and is removed when the issue closes",
    async () => {
      const repo = makeRepo("shop");
      const rdv = fs.mkdtempSync(path.join(tmp, "rdv-"));
      const company = await createCompany(t.current);
      const project = await createProject(company.id, repo, {
        defaultMode: "isolated_workspace",
        workspaceStrategy: { provisionCommand: "echo provisioned-in-$PWD; touch .provisioned" },
      });
      expect(project.executionWorkspacePolicy).toMatchObject({ defaultMode: "isolated_workspace" });

      // Issues first (unassigned), so each agent knows its peer's issue id for the rendezvous.
      const one = await createIssue(t.current, company.id, { title: "Add the cart page", projectId: project.id });
      const two = await createIssue(t.current, company.id, { title: "Fix checkout totals!", projectId: project.id });
      const alice = await scriptAgent(company.id, {
        RENDEZVOUS_DIR: rdv,
        RENDEZVOUS_PEERS: two.id,
        PR_URL: "https://github.com/acme/shop/pull/17",
      });
      // Bob was hired with the repository as his cwd: inside an isolated project it follows him into his worktree.
      const bob = await scriptAgent(company.id, { RENDEZVOUS_DIR: rdv, RENDEZVOUS_PEERS: one.id }, { cwd: repo });
      for (const [issue, agent] of [
        [one, alice],
        [two, bob],
      ] as const) {
        const res = await t.current.patch(`/api/issues/${issue.id}`, { assigneeAgentId: agent.id, status: "todo" });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      }

      const [runOne] = await finishedRuns(one.id, 1);
      const [runTwo] = await finishedRuns(two.id, 1);
      expect(runOne!.status, JSON.stringify(runOne)).toBe("succeeded");
      expect(runTwo!.status, JSON.stringify(runTwo)).toBe("succeeded");
      // They overlapped (each waited for the other's marker inside its run).
      expect(runOne!.startedAt.getTime()).toBeLessThan(runTwo!.finishedAt.getTime());
      expect(runTwo!.startedAt.getTime()).toBeLessThan(runOne!.finishedAt.getTime());

      const r1 = await report(runOne!.id);
      const r2 = await report(runTwo!.id);
      const home = fs.realpathSync(t.current.home);
      expect(fs.realpathSync(r1.cwd)).toBe(path.join(home, "workspaces", company.id, one.id));
      expect(fs.realpathSync(r2.cwd)).toBe(path.join(home, "workspaces", company.id, two.id));
      expect(r1.listing).toEqual([`${one.id}.txt`]);
      expect(r2.listing).toEqual([`${two.id}.txt`]);
      expect(r1.branch).toBe(`staple/${one.identifier}-add-the-cart-page`);
      expect(r2.branch).toBe(`staple/${two.identifier}-fix-checkout-totals`);
      expect(r1).toMatchObject({ created: "true", wsCwd: r1.cwd, baseCwd: repo });
      // The setup command ran in the worktree, its output in the run log.
      expect(r1.log).toContain("[staple] setup: echo provisioned-in-$PWD");
      expect(r1.log).toContain(`provisioned-in-${r1.cwd}`);

      // Each branch holds its own file only; the main checkout was never touched.
      const tree = (branch: string) => gitIn(repo, "ls-tree", "--name-only", branch).split("\n").sort();
      expect(tree(r1.branch)).toEqual(["README.md", `${one.id}.txt`].sort());
      expect(tree(r2.branch)).toEqual(["README.md", `${two.id}.txt`].sort());
      expect(gitIn(repo, "status", "--porcelain")).toBe("");
      expect(gitIn(repo, "rev-parse", "--abbrev-ref", "HEAD")).toBe("main");

      // Work products: the branch, the commit, the printed pull request.
      const products = (await t.current.get(`/api/issues/${one.id}/work-products`)).body as Array<Record<string, any>>;
      const sha1 = gitIn(repo, "rev-parse", r1.branch);
      expect(products.map((p) => [p.type, p.externalId]).sort()).toEqual(
        [
          ["branch", r1.branch],
          ["commit", sha1],
          ["pull_request", "acme/shop#17"],
        ].sort(),
      );
      expect(products.find((p) => p.type === "pull_request")).toMatchObject({
        url: "https://github.com/acme/shop/pull/17",
        provider: "github",
      });
      expect(products.every((p) => p.createdByRunId === runOne!.id)).toBe(true);

      // The workspace API lists both, released after their runs.
      const list = await t.current.get(`/api/companies/${company.id}/execution-workspaces?issueId=${one.id}`);
      expect(list.status, JSON.stringify(list.body)).toBe(200);
      expect(list.body).toHaveLength(1);
      expect(list.body[0]).toMatchObject({
        sourceIssueId: one.id,
        branchName: r1.branch,
        status: "idle",
        holderRunId: null,
        closedAt: null,
      });
      const wsOne = list.body[0].id as string;

      // A second run of issue one reuses its worktree (the file is there, nothing re-created, no second setup).
      const wake = await t.current.post(`/api/agents/${alice.id}/wakeup`, {
        source: "on_demand",
        reason: "again",
        payload: { issueId: one.id },
      });
      expect(wake.status, JSON.stringify(wake.body)).toBe(202);
      const runs = await finishedRuns(one.id, 2);
      expect(runs[1]!.status, JSON.stringify(runs[1])).toBe("succeeded");
      const again = await report(runs[1]!.id);
      expect(again).toMatchObject({ cwd: r1.cwd, existed: true, created: "false", branch: r1.branch });
      expect(again.log).toContain("[staple] reusing worktree");
      expect(again.log).not.toContain("[staple] setup:");
      expect(gitIn(repo, "rev-list", "--count", `main..${r1.branch}`)).toBe("2");
      const after = (await t.current.get(`/api/issues/${one.id}/work-products`)).body as Array<Record<string, any>>;
      expect(after.filter((p) => p.type === "branch")).toHaveLength(1);
      expect(after.filter((p) => p.type === "pull_request")).toHaveLength(1); // printed again, recorded once
      expect(after.filter((p) => p.type === "commit")).toHaveLength(2);
      // The same pull request reported through the API is not recorded twice; another one is.
      for (const url of ["https://github.com/acme/shop/pull/17", "https://github.com/acme/shop/pull/18"]) {
        const posted = await t.current.post(`/api/issues/${one.id}/work-products`, {
          type: "pull_request",
          provider: "github",
          title: "PR",
          url,
        });
        expect(posted.status, JSON.stringify(posted.body)).toBe(201);
      }
      const prs = ((await t.current.get(`/api/issues/${one.id}/work-products`)).body as Array<Record<string, any>>).filter(
        (p) => p.type === "pull_request",
      );
      expect(prs.map((p) => p.url).sort()).toEqual(["https://github.com/acme/shop/pull/17", "https://github.com/acme/shop/pull/18"]);

      // Closing the issue removes the worktree (the branch and its commits stay).
      expect((await t.current.patch(`/api/issues/${one.id}`, { status: "done" })).status).toBe(200);
      const closed = await closedWorkspace(wsOne);
      expect(closed).toMatchObject({ status: "archived", cleanupReason: "issue_closed", closedAt: expect.any(String) });
      expect(fs.existsSync(r1.cwd)).toBe(false);
      expect(gitIn(repo, "worktree", "list", "--porcelain")).not.toContain(r1.cwd);
      expect(gitIn(repo, "rev-list", "--count", `main..${r1.branch}`)).toBe("2");
      // Issue two is still open: its worktree stays.
      expect(fs.existsSync(path.join(r2.cwd, `${two.id}.txt`))).toBe(true);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    "a workspace held by a running run is not removed when its issue closes; it is removed once the run ends",
    async () => {
      const repo = makeRepo("held");
      const company = await createCompany(t.current);
      const project = await createProject(company.id, repo, { defaultMode: "isolated_workspace" });
      const gate = path.join(tmp, `gate-${Date.now()}`);
      // Waits (bounded) for the gate file, so the test decides when the run ends.
      const script = `const fs=require("node:fs");const u=Date.now()+30000;while(Date.now()<u&&!fs.existsSync(${JSON.stringify(gate)}))Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,50);console.log("cwd="+process.cwd());`;
      const agent = await createAgent(t.current, company.id, {
        adapterConfig: { command: process.execPath, args: ["-e", script], timeoutSec: 60 },
      });
      const issue = await createIssue(t.current, company.id, {
        title: "Long task",
        projectId: project.id,
        assigneeAgentId: agent.id,
        status: "todo",
      });
      const ws = await waitFor("workspace held", async () => {
        const list = await t.current.get(`/api/companies/${company.id}/execution-workspaces?issueId=${issue.id}`);
        const row = list.body[0] as Record<string, any> | undefined;
        if (!row?.holderRunId || !fs.existsSync(path.join(row.cwd, ".git"))) return null;
        const [run] = await t.current.tdb.db.query<{ processPid: number | null }>("SELECT process_pid FROM heartbeat_runs WHERE id = $1", [
          row.holderRunId,
        ]);
        return run?.processPid ? row : null; // the agent process is running in it
      });
      // A second run of the same issue (another agent's mention, say) cannot take the directory: the
      // hold is a database row, so this is true across servers too. It waits (bounded) and fails.
      const other = createExecutionWorkspaces({
        db: t.current.tdb.db,
        logger: createLogger("silent"),
        home: t.current.home,
        isCodingAdapter: () => false,
        busyWaitMs: 300,
      });
      const denied = await other.prepareForRun({ id: randomUUID(), issueId: issue.id }, "process", () => {});
      expect(denied).toMatchObject({ kind: "failed", errorCode: "execution_workspace_busy" });
      // The board closes the workspace by hand while the run works in it: 409, nothing removed.
      const refused = await t.current.patch(`/api/execution-workspaces/${ws.id}`, { status: "archived" });
      expect(refused.status, JSON.stringify(refused.body)).toBe(409);
      expect(refused.body.code).toBe("execution_workspace_busy");
      expect((await t.current.patch(`/api/issues/${issue.id}`, { status: "done" })).status).toBe(200);
      await t.current.services.engine.runPeriodicPass();
      expect(fs.existsSync(ws.cwd)).toBe(true);
      expect((await t.current.get(`/api/execution-workspaces/${ws.id}`)).body).toMatchObject({ closedAt: null });
      // Once the run has ended, the worktree is removed (right after the run, or by the next pass).
      fs.writeFileSync(gate, "go");
      await finishedRuns(issue.id, 1);
      const closed = await closedWorkspace(ws.id);
      expect(closed.status).toBe("archived");
      expect(fs.existsSync(ws.cwd)).toBe(false);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    "a hold left on a run that ended without releasing it (its server died) is stale: the next run of the issue takes the worktree over",
    async () => {
      const repo = makeRepo("stale");
      const company = await createCompany(t.current);
      const project = await createProject(company.id, repo, { defaultMode: "isolated_workspace" });
      const agent = await createAgent(t.current, company.id, {
        adapterConfig: { command: process.execPath, args: ["-e", "console.log('cwd=' + process.cwd())"] },
      });
      const issue = await createIssue(t.current, company.id, {
        title: "Stale hold",
        projectId: project.id,
        assigneeAgentId: agent.id,
        status: "todo",
      });
      const [first] = await finishedRuns(issue.id, 1);
      expect(first!.status).toBe("succeeded");
      await t.current.tdb.db.query("UPDATE execution_workspaces SET holder_run_id = $2, held_at = now() WHERE source_issue_id = $1", [
        issue.id,
        first!.id,
      ]);
      const wake = await t.current.post(`/api/agents/${agent.id}/wakeup`, {
        source: "on_demand",
        reason: "again",
        payload: { issueId: issue.id },
      });
      expect(wake.status).toBe(202);
      const runs = await finishedRuns(issue.id, 2);
      expect(runs[1], JSON.stringify(runs[1])).toMatchObject({ status: "succeeded", errorCode: null });
      const [ws] = (await t.current.get(`/api/companies/${company.id}/execution-workspaces?issueId=${issue.id}`)).body;
      expect(ws).toMatchObject({ holderRunId: null, status: "idle" });
    },
    E2E_TIMEOUT_MS,
  );

  it(
    "closing runs the teardown command in the worktree before removing it; a keep policy leaves the worktree on disk",
    async () => {
      const company = await createCompany(t.current);
      const marker = path.join(tmp, `teardown-${Date.now()}.txt`);
      const agent = await createAgent(t.current, company.id, {
        adapterConfig: { command: process.execPath, args: ["-e", "console.log('ok')"] },
      });
      const cases = [
        {
          repo: makeRepo("teardown"),
          policy: {
            defaultMode: "isolated_workspace",
            workspaceStrategy: { teardownCommand: 'echo "$PAPERCLIP_WORKSPACE_BRANCH $PWD" > "$MARKER"' },
          },
        },
        { repo: makeRepo("keep"), policy: { defaultMode: "isolated_workspace", cleanupPolicy: { removeOnClose: false } } },
      ];
      const workspaces: Array<Record<string, any>> = [];
      for (const c of cases) {
        const res = await t.current.post(`/api/companies/${company.id}/projects`, {
          name: `P ${path.basename(c.repo)}`,
          env: { MARKER: marker },
          workspaces: [{ name: "main", cwd: c.repo }],
          executionWorkspacePolicy: c.policy,
        });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        const issue = await createIssue(t.current, company.id, {
          title: "Close me",
          projectId: res.body.id,
          assigneeAgentId: agent.id,
          status: "todo",
        });
        const [run] = await finishedRuns(issue.id, 1);
        expect(run!.status).toBe("succeeded");
        expect((await t.current.patch(`/api/issues/${issue.id}`, { status: "done" })).status).toBe(200);
        workspaces.push((await t.current.get(`/api/companies/${company.id}/execution-workspaces?issueId=${issue.id}`)).body[0]);
      }
      const [torn, kept] = await Promise.all(workspaces.map((w) => closedWorkspace(w.id)));
      expect(torn).toMatchObject({ status: "archived", closedAt: expect.any(String) });
      expect(fs.readFileSync(marker, "utf8").trim()).toBe(`${torn.branchName} ${torn.cwd}`);
      expect(fs.existsSync(torn.cwd)).toBe(false);
      expect(kept).toMatchObject({ status: "archived", closedAt: expect.any(String), metadata: { kept: true } });
      expect(fs.existsSync(path.join(kept.cwd, "README.md"))).toBe(true);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    "a failing setup command fails the run with execution_workspace_setup_failed and its output in the log",
    async () => {
      const repo = makeRepo("badsetup");
      const company = await createCompany(t.current);
      const project = await createProject(company.id, repo, {
        defaultMode: "isolated_workspace",
        workspaceStrategy: { provisionCommand: "echo installing; echo boom >&2; exit 7" },
      });
      const agent = await createAgent(t.current, company.id, {
        adapterConfig: { command: process.execPath, args: ["-e", "console.log('agent ran')"] },
      });
      const issue = await createIssue(t.current, company.id, {
        title: "Setup fails",
        projectId: project.id,
        assigneeAgentId: agent.id,
        status: "todo",
      });
      const [run] = await finishedRuns(issue.id, 1);
      expect(run).toMatchObject({ status: "failed", errorCode: "execution_workspace_setup_failed" });
      const log = await t.current.get(`/api/heartbeat-runs/${run!.id}/log?limitBytes=100000`);
      expect(log.body.content).toContain("installing");
      expect(log.body.content).toContain("boom");
      expect(log.body.content).not.toContain("agent ran");
    },
    E2E_TIMEOUT_MS,
  );

  it(
    "a shared-policy project keeps today's behaviour: runs work in the project directory, no worktree",
    async () => {
      const repo = makeRepo("shared");
      const company = await createCompany(t.current);
      const project = await createProject(company.id, repo, { defaultMode: "shared_workspace" });
      const agent = await scriptAgent(company.id);
      const issue = await createIssue(t.current, company.id, {
        title: "Shared work",
        projectId: project.id,
        assigneeAgentId: agent.id,
        status: "todo",
      });
      const [run] = await finishedRuns(issue.id, 1);
      expect(run!.status, JSON.stringify(run)).toBe("succeeded");
      const r = await report(run!.id);
      expect(fs.realpathSync(r.cwd)).toBe(fs.realpathSync(repo));
      expect(r.branch).toBeUndefined();
      expect(gitIn(repo, "rev-parse", "--abbrev-ref", "HEAD")).toBe("main");
      expect(gitIn(repo, "ls-tree", "--name-only", "main")).toContain(`${issue.id}.txt`);
      const list = await t.current.get(`/api/companies/${company.id}/execution-workspaces`);
      expect(list.body).toEqual([]);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    "bad input is a clear 4xx: an unknown policy mode, an unknown workspace, a PATCH other than closing",
    async () => {
      const company = await createCompany(t.current);
      const bad = await t.current.post(`/api/companies/${company.id}/projects`, {
        name: "x",
        executionWorkspacePolicy: { defaultMode: "sideways" },
      });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain("defaultMode");
      const missing = await t.current.get("/api/execution-workspaces/00000000-0000-4000-8000-000000000000");
      expect(missing.status).toBe(404);
      const patch = await t.current.patch("/api/execution-workspaces/00000000-0000-4000-8000-000000000000", { status: "active" });
      expect(patch.status).toBe(400);
      const anon = await t.current.get(`/api/companies/${company.id}/execution-workspaces`, { anonymous: true });
      expect(anon.status).toBe(401);
    },
    E2E_TIMEOUT_MS,
  );
});
