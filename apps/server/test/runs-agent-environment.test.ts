import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { waitFor } from "./helpers/test-server.js";
import { TEST_JWT_SECRET } from "./helpers/test-app.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";
import { DUMP_ENV_SCRIPT, NODE, readEnvDump, TERMINAL, useRunExecutionServer } from "./helpers/run-execution-kit.js";
import { allCommandLines } from "../../../test-support/procs.js";
import { verifyAgentJwt } from "../src/auth/agent-jwt.js";

/** What a run hands its agent: identity, API URL, run id and JWT, wake variables, and a token kept off argv and redacted. */

const { t, tempDir, wake, getRun, waitRunDone, waitRunning } = useRunExecutionServer();

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
      expect(verified.claims).toMatchObject({
        sub: agent.id,
        company_id: company.id,
        run_id: run.id,
        adapter_type: "process",
        iss: "paperclip",
        aud: "paperclip-api",
      });
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
    expect(first).toMatchObject({
      status: "succeeded",
      agentId: agent.id,
      adapterType: "process",
      invocationSource: "automation",
      retryOfRunId: null,
    });
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
    await waitFor(
      "token written",
      async () => fs.existsSync(path.join(dir, "token.txt")) && fs.readFileSync(path.join(dir, "token.txt"), "utf8").length > 0,
    );
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
    const stored = await t.current.tdb.db.query<{ content: string }>("SELECT content FROM heartbeat_run_log_chunks WHERE run_id = $1", [
      run.id,
    ]);
    const rawLog = stored.map((r) => r.content).join("");
    expect(rawLog).toContain("token=[REDACTED]");
    expect(rawLog).not.toContain(token);
    expect(rawLog).not.toContain(secretValue);

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
    const agent = await createAgent(t.current, company.id, {
      adapterConfig: { command: NODE, args: ["-e", script], env: { OUT_DIR: dir } },
    });
    const run = await waitRunDone((await wake(agent.id)).id);
    expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
    const token = fs.readFileSync(path.join(dir, "token.txt"), "utf8");

    const log = await t.current.get(`/api/heartbeat-runs/${run.id}/log?limitBytes=1048576`);
    expect(log.status).toBe(200);
    expect(log.body.nextOffset).toBeUndefined();
    const lines = (log.body.content as string)
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const joined = (stream: string) =>
      lines
        .filter((l) => l.stream === stream)
        .map((l) => l.chunk)
        .join("");
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
