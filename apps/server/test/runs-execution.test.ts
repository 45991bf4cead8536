import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createFakeAdapter, type AdapterExecuteContext, type AdapterResult } from "@staple/adapter-kit";
import { processAdapter } from "@staple/adapter-process";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { TEST_JWT_SECRET } from "./helpers/test-app.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";
import { verifyAgentJwt } from "../src/auth/agent-jwt.js";

/**
 * The run engine end to end (docs/runs.md#executing-a-run through #finalization, the cost ledger,
 * sessions, timers, the agent environment): real process agents spawned
 * by the engine of a listening test server, plus a scripted fake registered as `claude_local` for
 * sessions, usage and cost.
 */

type FakeBehaviour = (ctx: AdapterExecuteContext) => AdapterResult;
/** Per-agent scripted results of the fake `claude_local` adapter (default: plain success). */
const fakeBehaviour = new Map<string, FakeBehaviour>();
const fake = createFakeAdapter(async (ctx) => {
  const behaviour = fakeBehaviour.get(ctx.agent.id);
  await ctx.onLog("stdout", `fake run ${ctx.runId}\n`);
  return behaviour ? behaviour(ctx) : { exitCode: 0, signal: null, timedOut: false };
}, { type: "claude_local" });

const t = useTestServer({
  runtime: { schedulerIntervalMs: 500, leaseMs: 3000, adapters: { process: processAdapter, claude_local: fake } },
});

const NODE = process.execPath;
const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];
const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "staple-runs-exec-"));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
const tempDir = () => fs.mkdtempSync(path.join(tmpRoot, "d-"));

/** A node script that writes its whole environment to $OUT_DIR/<run id>.json (and says so). */
const DUMP_ENV_SCRIPT = `require("fs").writeFileSync(process.env.OUT_DIR + "/" + process.env.PAPERCLIP_RUN_ID + ".json", JSON.stringify(process.env)); console.log("environment written");`;

async function wake(agentId: string, body: Record<string, unknown> = {}) {
  const res = await t.current.post(`/api/agents/${agentId}/wakeup`, { source: "on_demand", reason: "test", ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect(res.body.id, JSON.stringify(res.body)).toBeTruthy();
  return res.body as { id: string; status: string; [k: string]: any };
}

async function getRun(runId: string) {
  const res = await t.current.get(`/api/heartbeat-runs/${runId}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as Record<string, any>;
}

async function waitRunDone(runId: string, timeoutMs = 20_000) {
  return waitFor(
    `run ${runId} terminal`,
    async () => {
      const run = await getRun(runId);
      return TERMINAL.includes(run.status) ? run : null;
    },
    timeoutMs,
  );
}

async function waitRunning(runId: string) {
  return waitFor(`run ${runId} running with a pid`, async () => {
    const run = await getRun(runId);
    if (TERMINAL.includes(run.status)) throw new Error(`run ended early: ${JSON.stringify(run)}`);
    return run.status === "running" && run.processPid ? run : null;
  });
}

async function wakeStatus(wakeupRequestId: string) {
  const [row] = await t.current.tdb.db.query<{ status: string }>("SELECT status FROM agent_wakeup_requests WHERE id = $1", [wakeupRequestId]);
  return row?.status;
}

async function agentStatus(agentId: string) {
  const res = await t.current.get(`/api/agents/${agentId}`);
  expect(res.status).toBe(200);
  return res.body.status as string;
}

/** True when no live (non-zombie) process is left in the group. */
function processGroupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  // Something answers: tolerate zombies (exited, not yet reaped).
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") return false;
  }
  return true;
}

/** Command lines of every process we can read, as text (NULs turned into spaces). */
function allCommandLines(): { pid: string; cmdline: string }[] {
  const out: { pid: string; cmdline: string }[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      out.push({ pid: entry, cmdline: fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ") });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

function readEnvDump(dir: string, runId: string): Record<string, string> {
  return JSON.parse(fs.readFileSync(path.join(dir, `${runId}.json`), "utf8"));
}

describe("agent environment", () => {
  it("hands the agent its identity, the API URL, its run id and a run JWT", async () => {
    const company = await createCompany(t.current);
    const dir = tempDir();
    const agent = await createAgent(t.current, company.id, {
      adapterConfig: { command: NODE, args: ["-e", DUMP_ENV_SCRIPT], env: { OUT_DIR: dir } },
    });
    const queued = await wake(agent.id);
    const run = await waitRunDone(queued.id);
    expect(run.status, JSON.stringify(run)).toBe("succeeded");

    const env = readEnvDump(dir, run.id);
    expect(env.PAPERCLIP_AGENT_ID).toBe(agent.id);
    expect(env.PAPERCLIP_COMPANY_ID).toBe(company.id);
    expect(env.PAPERCLIP_API_URL).toBe(t.current.url);
    expect(env.PAPERCLIP_RUN_ID).toBe(run.id);
    expect(env.OUT_DIR).toBe(dir);
    // No issue: no task variables.
    expect(env.PAPERCLIP_TASK_ID).toBeUndefined();
    expect(env.PAPERCLIP_WAKE_COMMENT_ID).toBeUndefined();
    expect(env.PAPERCLIP_WAKE_REASON).toBe("test");

    const token = env.PAPERCLIP_API_KEY!;
    expect(token.split(".")).toHaveLength(3);
    const verified = verifyAgentJwt(token, TEST_JWT_SECRET);
    expect(verified.ok, JSON.stringify(verified)).toBe(true);
    if (verified.ok) {
      expect(verified.claims).toMatchObject({ sub: agent.id, company_id: company.id, run_id: run.id, adapter_type: "process", iss: "paperclip", aud: "paperclip-api" });
      expect(verified.claims.exp).toBeGreaterThan(verified.claims.iat);
    }
    const payload = JSON.parse(env.PAPERCLIP_WAKE_PAYLOAD_JSON!);
    expect(payload).toMatchObject({ reason: "test", issueId: null, commentIds: [] });

    // The run token dies with its run.
    const after = await t.current.get("/api/agents/me", { token });
    expect(after.status).toBe(401);
  });

  it("an issue comment wake carries PAPERCLIP_TASK_ID, PAPERCLIP_WAKE_REASON and PAPERCLIP_WAKE_COMMENT_ID", async () => {
    const company = await createCompany(t.current);
    const dir = tempDir();
    const agent = await createAgent(t.current, company.id, {
      adapterConfig: { command: NODE, args: ["-e", DUMP_ENV_SCRIPT], env: { OUT_DIR: dir } },
    });
    // Backlog: assigning does not wake; the comment does.
    const issue = await createIssue(t.current, company.id, { assigneeAgentId: agent.id, status: "backlog" });
    const comment = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "Please look at this." });
    expect(comment.status, JSON.stringify(comment.body)).toBe(201);

    // The comment's run is the issue's first (newest-first list: the last row).
    const first = await waitFor("issue run", async () => {
      const res = await t.current.get(`/api/issues/${issue.id}/runs`);
      expect(res.status).toBe(200);
      const oldest = (res.body as any[]).at(-1);
      return oldest && TERMINAL.includes(oldest.status) ? oldest : null;
    });
    expect(first).toMatchObject({ status: "succeeded", agentId: agent.id, adapterType: "process", invocationSource: "automation", retryOfRunId: null });
    const runId = first.runId as string;
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);

    const env = readEnvDump(dir, runId);
    expect(env.PAPERCLIP_TASK_ID).toBe(issue.id);
    expect(env.PAPERCLIP_WAKE_REASON).toBe("issue_commented");
    expect(env.PAPERCLIP_WAKE_COMMENT_ID).toBe(comment.body.id);
    expect(env.PAPERCLIP_RUN_ID).toBe(runId);
    const payload = JSON.parse(env.PAPERCLIP_WAKE_PAYLOAD_JSON!);
    expect(payload).toMatchObject({ reason: "issue_commented", issueId: issue.id, commentIds: [comment.body.id], taskKey: issue.id });

    const run = await getRun(runId);
    expect(run.contextSnapshot).toMatchObject({ issueId: issue.id, wakeReason: "issue_commented", wakeCommentId: comment.body.id });

    const touched = await t.current.get(`/api/heartbeat-runs/${runId}/issues`);
    expect(touched.status).toBe(200);
    expect(touched.body).toEqual([expect.objectContaining({ issueId: issue.id, identifier: issue.identifier, title: issue.title })]);

    // The harness checked the issue out for the run and finalization released the lock.
    const [row] = await t.current.tdb.db.query<{ status: string; checkoutRunId: string | null; executionRunId: string | null }>(
      "SELECT status, checkout_run_id, execution_run_id FROM issues WHERE id = $1",
      [issue.id],
    );
    expect(row!.status).toBe("in_progress");
    expect(row!.checkoutRunId).not.toBe(runId);
    expect(row!.executionRunId).not.toBe(runId);
  });

  it("a process agent calls the API with its run token; the token stays off argv and is redacted everywhere", async () => {
    const company = await createCompany(t.current);
    const dir = tempDir();
    const secretValue = `s3cret-${Math.random().toString(36).slice(2)}-value`;
    const script = `
      const fs = require("fs");
      (async () => {
        const res = await fetch(process.env.PAPERCLIP_API_URL + "/api/agents/me", {
          headers: { authorization: "Bearer " + process.env.PAPERCLIP_API_KEY },
        });
        const body = await res.json();
        console.log("me=" + res.status + ":" + body.id);
        fs.writeFileSync(process.env.OUT_DIR + "/token.txt", process.env.PAPERCLIP_API_KEY);
        console.log("token=" + process.env.PAPERCLIP_API_KEY);
        console.log("secret=" + process.env.MY_SECRET);
        console.error("stderr-token=" + process.env.PAPERCLIP_API_KEY);
        const deadline = Date.now() + 20000;
        while (!fs.existsSync(process.env.OUT_DIR + "/go") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      })();`;
    const agent = await createAgent(t.current, company.id, {
      adapterConfig: { command: NODE, args: ["-e", script], env: { OUT_DIR: dir, MY_SECRET: { type: "secret", value: secretValue } } },
    });
    const queued = await wake(agent.id);
    const running = await waitRunning(queued.id);
    await waitFor("token written", async () => fs.existsSync(path.join(dir, "token.txt")) && fs.readFileSync(path.join(dir, "token.txt"), "utf8").length > 0);
    const token = fs.readFileSync(path.join(dir, "token.txt"), "utf8");
    expect(token.split(".")).toHaveLength(3);

    // Never on a command line: not the child's, not any other process's.
    const childCmdline = fs.readFileSync(`/proc/${running.processPid}/cmdline`, "utf8");
    expect(childCmdline).toContain("-e");
    expect(childCmdline).not.toContain(token);
    const leaking = allCommandLines().filter((p) => p.cmdline.includes(token) || p.cmdline.includes(secretValue));
    expect(leaking).toEqual([]);

    // While it runs it shows among the company's live runs.
    const live = await t.current.get(`/api/companies/${company.id}/live-runs`);
    expect(live.status).toBe(200);
    expect(live.body).toEqual([expect.objectContaining({ id: queued.id, status: "running", agentId: agent.id, agentName: agent.name })]);

    fs.writeFileSync(path.join(dir, "go"), "");
    const run = await waitRunDone(queued.id);
    expect(run.status, JSON.stringify(run)).toBe("succeeded");

    // The API answered the agent as itself.
    expect(run.stdoutExcerpt).toContain(`me=200:${agent.id}`);
    // Echoed secrets are redacted in the excerpts...
    expect(run.stdoutExcerpt).toContain("token=[REDACTED]");
    expect(run.stdoutExcerpt).toContain("secret=[REDACTED]");
    expect(run.stderrExcerpt).toContain("stderr-token=[REDACTED]");
    expect(JSON.stringify(run)).not.toContain(token);
    expect(JSON.stringify(run)).not.toContain(secretValue);

    // ...in the NDJSON log...
    const log = await t.current.get(`/api/heartbeat-runs/${run.id}/log`);
    expect(log.status).toBe(200);
    expect(log.body.content).toContain(`me=200:${agent.id}`);
    expect(log.body.content).toContain("token=[REDACTED]");
    expect(log.body.content).toContain("secret=[REDACTED]");
    expect(log.body.content).not.toContain(token);
    expect(log.body.content).not.toContain(secretValue);
    const rawFile = fs.readFileSync(path.join(t.current.home, "run-logs", log.body.logRef), "utf8");
    expect(rawFile).not.toContain(token);
    expect(rawFile).not.toContain(secretValue);

    // ...and in the events (adapter.invoke lists env keys, never values).
    const events = await t.current.get(`/api/heartbeat-runs/${run.id}/events`);
    expect(events.status).toBe(200);
    const text = JSON.stringify(events.body);
    expect(text).not.toContain(token);
    expect(text).not.toContain(secretValue);
    const invoke = (events.body as any[]).find((e) => e.eventType === "adapter.invoke");
    expect(invoke.payload.envKeys).toEqual(expect.arrayContaining(["PAPERCLIP_API_KEY", "MY_SECRET"]));
  });

  it("a token echoed across output chunk boundaries is still redacted in the log and excerpts", async () => {
    const company = await createCompany(t.current);
    const dir = tempDir();
    // Half a token, a pause (so the halves arrive as separate chunks), the other half; then tokens
    // straddling 64 KiB pipe reads.
    const script = `
      const fs = require("fs");
      const tok = process.env.PAPERCLIP_API_KEY;
      fs.writeFileSync(process.env.OUT_DIR + "/token.txt", tok);
      const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
      (async () => {
        for (let i = 0; i < 3; i++) {
          process.stdout.write("A=" + tok.slice(0, 40 + i * 30));
          process.stderr.write("E=" + tok.slice(0, 25 + i * 40));
          await sleep(150);
          process.stdout.write(tok.slice(40 + i * 30) + "\\n");
          process.stderr.write(tok.slice(25 + i * 40) + "\\n");
          await sleep(50);
        }
        for (let i = 0; i < 6; i++) process.stdout.write("x".repeat(65536 - 120 + i * 41) + "B=" + tok + "\\n");
      })();`;
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: NODE, args: ["-e", script], env: { OUT_DIR: dir } } });
    const run = await waitRunDone((await wake(agent.id)).id);
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    const token = fs.readFileSync(path.join(dir, "token.txt"), "utf8");

    const log = await t.current.get(`/api/heartbeat-runs/${run.id}/log?limitBytes=1048576`);
    expect(log.status).toBe(200);
    expect(log.body.nextOffset).toBeUndefined();
    const lines = (log.body.content as string).split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const joined = (stream: string) => lines.filter((l) => l.stream === stream).map((l) => l.chunk).join("");
    const out = joined("stdout");
    const err = joined("stderr");
    expect(out).not.toContain(token);
    expect(err).not.toContain(token);
    expect(out.match(/A=\[REDACTED\]\n/g)).toHaveLength(3);
    expect(out.match(/B=\[REDACTED\]\n/g)).toHaveLength(6);
    expect(err.match(/E=\[REDACTED\]\n/g)).toHaveLength(3);
    expect(run.stdoutExcerpt).not.toContain(token);
    expect(run.stderrExcerpt).not.toContain(token);
    expect(run.stderrExcerpt).toContain("E=[REDACTED]\n");
  });
});

describe("run outcomes and finalization", () => {
  it("exit 0 -> succeeded, wake completed, agent idle, runtime state updated", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/sh", args: ["-c", "echo done-ok"] } });
    const queued = await wake(agent.id);
    expect(queued.status).toBe("queued");
    const run = await waitRunDone(queued.id);
    expect(run).toMatchObject({ status: "succeeded", exitCode: 0, error: null, errorCode: null });
    expect(run.resultJson).toMatchObject({ stopReason: "completed", timeoutFired: false, timeoutConfigured: true, effectiveTimeoutSec: 3600 }); // the process adapter's default timeout
    expect(await wakeStatus(run.wakeupRequestId)).toBe("completed");
    await waitFor("agent idle", async () => (await agentStatus(agent.id)) === "idle");

    const state = await t.current.get(`/api/agents/${agent.id}/runtime-state`);
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({ agentId: agent.id, totalRuns: 1, lastRunStatus: "succeeded", lastRunId: run.id, adapterType: "process" });

    await waitRunDone((await wake(agent.id)).id);
    const again = await t.current.get(`/api/agents/${agent.id}/runtime-state`);
    expect(again.body).toMatchObject({ totalRuns: 2, lastRunStatus: "succeeded" });
  });

  it("exit 3 -> failed with adapter_failed (detail process_exit_nonzero), wake failed, agent status error", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/sh", args: ["-c", "echo failing >&2; exit 3"] } });
    const run = await waitRunDone((await wake(agent.id)).id);
    expect(run).toMatchObject({ status: "failed", errorCode: "adapter_failed", exitCode: 3 });
    expect(run.resultJson).toMatchObject({ errorDetailCode: "process_exit_nonzero" });
    expect(run.error).toContain("3");
    expect(run.stderrExcerpt).toContain("failing");
    expect(run.resultJson).toMatchObject({ stopReason: "adapter_failed", timeoutFired: false });
    expect(await wakeStatus(run.wakeupRequestId)).toBe("failed");
    await waitFor("agent error", async () => (await agentStatus(agent.id)) === "error");
    const state = await t.current.get(`/api/agents/${agent.id}/runtime-state`);
    expect(state.body).toMatchObject({ totalRuns: 1, lastRunStatus: "failed" });
  });

  it("timeoutSec 1 on `sleep 30` -> timed_out, timeoutFired, and the process group is gone", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, {
      adapterConfig: { command: "/bin/sh", args: ["-c", "sleep 30"], timeoutSec: 1, graceSec: 1 },
    });
    const queued = await wake(agent.id);
    const running = await waitRunning(queued.id);
    const pgid = running.processGroupId as number;
    expect(pgid).toBeGreaterThan(1);
    const run = await waitRunDone(queued.id, 15_000);
    expect(run).toMatchObject({ status: "timed_out", errorCode: "timeout" });
    expect(run.resultJson).toMatchObject({ stopReason: "timeout", timeoutFired: true, timeoutConfigured: true, effectiveTimeoutSec: 1 });
    expect(await wakeStatus(run.wakeupRequestId)).toBe("timed_out");
    await waitFor("process group gone", async () => processGroupGone(pgid), 5_000);
    await waitFor("agent error", async () => (await agentStatus(agent.id)) === "error");
  });

  it("a missing command -> failed with adapter_command_not_found", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterConfig: { command: "/nonexistent/staple-no-such-command" } });
    const run = await waitRunDone((await wake(agent.id)).id);
    expect(run).toMatchObject({ status: "failed", errorCode: "adapter_command_not_found" });
    expect(run.error).toContain("/nonexistent/staple-no-such-command");
    expect(await wakeStatus(run.wakeupRequestId)).toBe("failed");
  });
});

describe("run reads", () => {
  it("GET /heartbeat-runs/:id, its events (paged) and its NDJSON log (paged); unknown ids 404", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, {
      adapterConfig: { command: "/bin/sh", args: ["-c", "echo line-one; echo line-two >&2; echo line-three"] },
    });
    const queued = await wake(agent.id, { reason: "read-test" });
    const run = await waitRunDone(queued.id);
    expect(run).toMatchObject({
      id: queued.id,
      companyId: company.id,
      agentId: agent.id,
      status: "succeeded",
      invocationSource: "on_demand",
      wakeupRequestId: queued.wakeupRequestId,
      processLossRetryCount: 0,
      retryOfRunId: null,
      logStore: "local_file",
    });
    expect(run.contextSnapshot).toMatchObject({ wakeReason: "read-test", wakeSource: "on_demand" });
    expect(new Date(run.startedAt).getTime()).toBeLessThanOrEqual(new Date(run.finishedAt).getTime());
    expect(run.logBytes).toBeGreaterThan(0);
    expect(run.logSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(run.processPid).toBeGreaterThan(0);
    expect(run.stdoutExcerpt).toContain("line-one");
    expect(run.stdoutExcerpt).toContain("line-three");
    expect(run.stderrExcerpt).toContain("line-two");

    // Events: ordered by seq, "run started" -> adapter.invoke -> terminal lifecycle.
    const events = await t.current.get(`/api/heartbeat-runs/${run.id}/events`);
    expect(events.status).toBe(200);
    const list = events.body as any[];
    expect(list.length).toBeGreaterThanOrEqual(3);
    const seqs = list.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(list[0]).toMatchObject({ eventType: "lifecycle", message: "run started", runId: run.id, agentId: agent.id });
    expect(list[1]).toMatchObject({ eventType: "adapter.invoke" });
    expect(list[1].payload).toMatchObject({ adapterType: "process", command: "/bin/sh" });
    expect(list.at(-1)).toMatchObject({ eventType: "lifecycle", message: "run succeeded" });

    const after = await t.current.get(`/api/heartbeat-runs/${run.id}/events?afterSeq=${list[0].seq}`);
    expect(after.body.map((e: any) => e.seq)).toEqual(seqs.slice(1));
    const limited = await t.current.get(`/api/heartbeat-runs/${run.id}/events?limit=1`);
    expect(limited.body.map((e: any) => e.seq)).toEqual(seqs.slice(0, 1));
    const page2 = await t.current.get(`/api/heartbeat-runs/${run.id}/events?afterSeq=${list[0].seq}&limit=1`);
    expect(page2.body.map((e: any) => e.seq)).toEqual(seqs.slice(1, 2));
    const beyond = await t.current.get(`/api/heartbeat-runs/${run.id}/events?afterSeq=${seqs.at(-1)}`);
    expect(beyond.body).toEqual([]);

    // Log: NDJSON {ts, stream, chunk}.
    const log = await t.current.get(`/api/heartbeat-runs/${run.id}/log`);
    expect(log.status).toBe(200);
    expect(log.body).toMatchObject({ runId: run.id, store: "local_file" });
    expect(log.body.nextOffset).toBeUndefined();
    const content = log.body.content as string;
    expect(Buffer.byteLength(content)).toBe(run.logBytes);
    const lines = content.split("\n").filter(Boolean).map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(Object.keys(line).sort()).toEqual(["chunk", "stream", "ts"]);
      expect(["stdout", "stderr", "system"]).toContain(line.stream);
      expect(Number.isNaN(Date.parse(line.ts))).toBe(false);
    }
    expect(lines.filter((l) => l.stream === "stdout").map((l) => l.chunk).join("")).toContain("line-one");
    expect(lines.filter((l) => l.stream === "stderr").map((l) => l.chunk).join("")).toContain("line-two");

    // Paging by bytes reassembles the same content.
    let offset = 0;
    let assembled = "";
    let pages = 0;
    for (;;) {
      const page = await t.current.get(`/api/heartbeat-runs/${run.id}/log?offset=${offset}&limitBytes=16`);
      expect(page.status).toBe(200);
      assembled += page.body.content;
      pages++;
      expect(pages).toBeLessThan(1000);
      if (page.body.nextOffset === undefined) break;
      expect(page.body.nextOffset).toBe(offset + 16);
      offset = page.body.nextOffset;
    }
    expect(pages).toBeGreaterThan(1);
    expect(assembled).toBe(content);

    // Unknown and malformed run ids.
    for (const suffix of ["", "/events", "/log", "/issues"]) {
      expect((await t.current.get(`/api/heartbeat-runs/${UNKNOWN_UUID}${suffix}`)).status).toBe(404);
      expect((await t.current.get(`/api/heartbeat-runs/not-a-uuid${suffix}`)).status).toBe(404);
    }
  });

  it("GET /companies/:cid/heartbeat-runs filters by agent and status, honours limit, and returns summary rows", async () => {
    const company = await createCompany(t.current);
    const ok = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/sh", args: ["-c", "echo ok-out"] } });
    const bad = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/sh", args: ["-c", "exit 1"] } });
    const ids: string[] = [];
    ids.push((await waitRunDone((await wake(ok.id)).id)).id);
    ids.push((await waitRunDone((await wake(ok.id)).id)).id);
    const badRun = await waitRunDone((await wake(bad.id)).id);

    const all = await t.current.get(`/api/companies/${company.id}/heartbeat-runs`);
    expect(all.status).toBe(200);
    expect(all.body.map((r: any) => r.id).sort()).toEqual([...ids, badRun.id].sort());
    for (const row of all.body) {
      expect(row.companyId).toBe(company.id);
      expect(row).not.toHaveProperty("stdoutExcerpt");
      expect(row).not.toHaveProperty("stderrExcerpt");
    }
    // Newest first.
    const created = all.body.map((r: any) => new Date(r.createdAt).getTime());
    expect(created).toEqual([...created].sort((a: number, b: number) => b - a));

    const byAgent = await t.current.get(`/api/companies/${company.id}/heartbeat-runs?agentId=${ok.id}`);
    expect(byAgent.body.map((r: any) => r.id).sort()).toEqual([...ids].sort());
    expect(byAgent.body.every((r: any) => r.agentId === ok.id)).toBe(true);

    const limited = await t.current.get(`/api/companies/${company.id}/heartbeat-runs?agentId=${ok.id}&limit=1`);
    expect(limited.body).toHaveLength(1);
    expect(limited.body[0].id).toBe(byAgent.body[0].id);

    const failed = await t.current.get(`/api/companies/${company.id}/heartbeat-runs?status=failed`);
    expect(failed.body.map((r: any) => r.id)).toEqual([badRun.id]);
    const both = await t.current.get(`/api/companies/${company.id}/heartbeat-runs?status=failed,succeeded`);
    expect(both.body).toHaveLength(3);
    const none = await t.current.get(`/api/companies/${company.id}/heartbeat-runs?status=running`);
    expect(none.body).toEqual([]);

    expect((await t.current.get(`/api/companies/${company.id}/heartbeat-runs?limit=0`)).status).toBe(400);
    expect((await t.current.get(`/api/companies/${company.id}/heartbeat-runs?agentId=nope`)).status).toBe(400);

    // No live runs once everything finished.
    const live = await t.current.get(`/api/companies/${company.id}/live-runs`);
    expect(live.body).toEqual([]);
  });
});

describe("sessions, usage and cost", () => {
  const metered: AdapterResult = {
    exitCode: 0,
    signal: null,
    timedOut: false,
    usage: { inputTokens: 100, outputTokens: 50, cachedInputTokens: 10 },
    costUsd: 0.1234,
    billingType: "api",
    provider: "anthropic",
    model: "m",
    sessionId: "s-1",
  };
  const callsOf = (agentId: string) => fake.calls.filter((c) => c.agent.id === agentId);

  it("records usage, books a metered cost event, updates totals and resumes the task session", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterType: "claude_local", adapterConfig: {} });
    fakeBehaviour.set(agent.id, () => metered);

    const first = await waitRunDone((await wake(agent.id, { payload: { taskKey: "task-a" } })).id);
    expect(first.status, JSON.stringify(first)).toBe("succeeded");
    expect(first.usageJson).toMatchObject({ inputTokens: 100, outputTokens: 50, cachedInputTokens: 10, costUsd: 0.1234, billingType: "api", provider: "anthropic", model: "m" });
    expect(first.sessionIdBefore).toBeNull();
    expect(first.sessionIdAfter).toBe("s-1");
    expect(callsOf(agent.id)[0]!.runtime).toMatchObject({ sessionId: null, taskKey: "task-a" });

    const costs = await t.current.tdb.db.query<Record<string, unknown>>(
      "SELECT agent_id, heartbeat_run_id, cost_cents, billing_type, provider, model, input_tokens, output_tokens, cached_input_tokens FROM cost_events WHERE agent_id = $1",
      [agent.id],
    );
    expect(costs).toEqual([
      {
        agentId: agent.id,
        heartbeatRunId: first.id,
        costCents: 12,
        billingType: "metered_api",
        provider: "anthropic",
        model: "m",
        inputTokens: 100,
        outputTokens: 50,
        cachedInputTokens: 10,
      },
    ]);
    const state = await t.current.get(`/api/agents/${agent.id}/runtime-state`);
    expect(state.body).toMatchObject({ totalRuns: 1, totalInputTokens: 100, totalOutputTokens: 50, totalCachedInputTokens: 10, totalCostCents: 12, lastRunStatus: "succeeded" });
    const [spend] = await t.current.tdb.db.query<{ agent: number; company: number }>(
      "SELECT a.spent_monthly_cents AS agent, c.spent_monthly_cents AS company FROM agents a JOIN companies c ON c.id = a.company_id WHERE a.id = $1",
      [agent.id],
    );
    expect(spend).toEqual({ agent: 12, company: 12 });

    const sessions = await t.current.tdb.db.query<{ taskKey: string; sessionParamsJson: unknown; sessionDisplayId: string; lastRunId: string }>(
      "SELECT task_key, session_params_json, session_display_id, last_run_id FROM agent_task_sessions WHERE agent_id = $1",
      [agent.id],
    );
    expect(sessions).toEqual([{ taskKey: "task-a", sessionParamsJson: { sessionId: "s-1" }, sessionDisplayId: "s-1", lastRunId: first.id }]);
    const viaApi = await t.current.get(`/api/agents/${agent.id}/task-sessions`);
    expect(viaApi.status).toBe(200);
    expect(viaApi.body).toEqual([expect.objectContaining({ taskKey: "task-a", adapterType: "claude_local", sessionDisplayId: "s-1" })]);

    // The next wake of the same task resumes the saved session; another task starts fresh.
    const second = await waitRunDone((await wake(agent.id, { payload: { taskKey: "task-a" } })).id);
    expect(second.status).toBe("succeeded");
    expect(second.sessionIdBefore).toBe("s-1");
    expect(callsOf(agent.id)[1]!.runtime).toMatchObject({ sessionId: "s-1", sessionParams: { sessionId: "s-1" }, taskKey: "task-a" });

    fakeBehaviour.set(agent.id, () => ({ exitCode: 0, signal: null, timedOut: false }));
    const other = await waitRunDone((await wake(agent.id, { payload: { taskKey: "task-b" } })).id);
    expect(other.status).toBe("succeeded");
    expect(callsOf(agent.id)[2]!.runtime).toMatchObject({ sessionId: null, taskKey: "task-b" });

    const totals = await t.current.get(`/api/agents/${agent.id}/runtime-state`);
    expect(totals.body).toMatchObject({ totalRuns: 3, totalInputTokens: 200, totalOutputTokens: 100, totalCachedInputTokens: 20, totalCostCents: 24 });
    // A run without usage or cost books nothing.
    const costRows = await t.current.tdb.db.query("SELECT id FROM cost_events WHERE agent_id = $1", [agent.id]);
    expect(costRows).toHaveLength(2);
  });

  it("clearSession removes the saved task session", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterType: "claude_local", adapterConfig: {} });
    fakeBehaviour.set(agent.id, () => metered);
    await waitRunDone((await wake(agent.id, { payload: { taskKey: "task-c" } })).id);
    const saved = await t.current.tdb.db.query("SELECT id FROM agent_task_sessions WHERE agent_id = $1 AND task_key = 'task-c'", [agent.id]);
    expect(saved).toHaveLength(1);

    fakeBehaviour.set(agent.id, () => ({ exitCode: 0, signal: null, timedOut: false, clearSession: true }));
    const cleared = await waitRunDone((await wake(agent.id, { payload: { taskKey: "task-c" } })).id);
    expect(cleared.status).toBe("succeeded");
    expect(cleared.sessionIdBefore).toBe("s-1");
    const after = await t.current.tdb.db.query("SELECT id FROM agent_task_sessions WHERE agent_id = $1", [agent.id]);
    expect(after).toEqual([]);

    // And the next run starts without a session.
    fakeBehaviour.set(agent.id, () => ({ exitCode: 0, signal: null, timedOut: false }));
    const fresh = await waitRunDone((await wake(agent.id, { payload: { taskKey: "task-c" } })).id);
    expect(fresh.sessionIdBefore).toBeNull();
    expect(callsOf(agent.id).at(-1)!.runtime.sessionId).toBeNull();
  });

  it("billingType subscription books 0 cents (tokens still recorded)", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterType: "claude_local", adapterConfig: {} });
    fakeBehaviour.set(agent.id, () => ({ ...metered, billingType: "subscription" }));
    const run = await waitRunDone((await wake(agent.id)).id);
    expect(run.status).toBe("succeeded");
    expect(run.usageJson).toMatchObject({ billingType: "subscription", costUsd: 0.1234 });
    const costs = await t.current.tdb.db.query<{ costCents: number; billingType: string; inputTokens: number }>(
      "SELECT cost_cents, billing_type, input_tokens FROM cost_events WHERE heartbeat_run_id = $1",
      [run.id],
    );
    expect(costs).toEqual([{ costCents: 0, billingType: "subscription_included", inputTokens: 100 }]);
    const state = await t.current.get(`/api/agents/${agent.id}/runtime-state`);
    expect(state.body).toMatchObject({ totalCostCents: 0, totalInputTokens: 100 });
    const [spend] = await t.current.tdb.db.query<{ spent: number }>("SELECT spent_monthly_cents AS spent FROM agents WHERE id = $1", [agent.id]);
    expect(spend!.spent).toBe(0);
  });
});

describe("timer heartbeats", () => {
  it("an enabled heartbeat gets a heartbeat_timer run once its interval elapsed; a disabled one gets none", async () => {
    const company = await createCompany(t.current);
    const enabled = await createAgent(t.current, company.id, { runtimeConfig: { heartbeat: { enabled: true, intervalSec: 1 } } });
    const disabled = await createAgent(t.current, company.id, { runtimeConfig: { heartbeat: { enabled: false, intervalSec: 1 } } });
    await t.current.tdb.db.query("UPDATE agents SET last_heartbeat_at = now() - interval '1 hour' WHERE id = ANY($1::uuid[])", [[enabled.id, disabled.id]]);

    await t.current.services.engine.runPeriodicPass();

    const timerRuns = await t.current.tdb.db.query<{ id: string; invocationSource: string; triggerDetail: string; taskKey: string; contextSnapshot: any }>(
      "SELECT id, invocation_source, trigger_detail, task_key, context_snapshot FROM heartbeat_runs WHERE agent_id = $1 ORDER BY created_at",
      [enabled.id],
    );
    expect(timerRuns.length).toBeGreaterThanOrEqual(1);
    expect(timerRuns[0]).toMatchObject({ invocationSource: "timer", triggerDetail: "system", taskKey: "__heartbeat__" });
    expect(timerRuns[0]!.contextSnapshot).toMatchObject({ wakeReason: "heartbeat_timer", source: "scheduler", reason: "interval_elapsed" });
    const [wakeRow] = await t.current.tdb.db.query<{ source: string; reason: string; requestedByActorType: string; requestedByActorId: string }>(
      "SELECT source, reason, requested_by_actor_type, requested_by_actor_id FROM agent_wakeup_requests WHERE run_id = $1",
      [timerRuns[0]!.id],
    );
    expect(wakeRow).toEqual({ source: "timer", reason: "heartbeat_timer", requestedByActorType: "system", requestedByActorId: "heartbeat_scheduler" });
    const run = await waitRunDone(timerRuns[0]!.id);
    expect(run.status).toBe("succeeded");

    const none = await t.current.tdb.db.query("SELECT id FROM heartbeat_runs WHERE agent_id = $1", [disabled.id]);
    expect(none).toEqual([]);
    const noWakes = await t.current.tdb.db.query("SELECT id FROM agent_wakeup_requests WHERE agent_id = $1", [disabled.id]);
    expect(noWakes).toEqual([]);

    // Stop the recurring timer of this agent (it would keep waking every second).
    expect((await t.current.post(`/api/agents/${enabled.id}/pause`)).status).toBe(200);
  });
});
