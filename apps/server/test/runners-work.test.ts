import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { useTestServer, waitFor } from "./helpers/test-server.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";

/**
 * Runners taking runs over HTTP (docs/runners.md#claim-and-execution): servers never claim runs of a
 * bound agent; a runner claims them only when label, adapter type and token scope match, gets an
 * execution packet, reports log (idempotent), events and its finish (idempotent) through the same
 * finalization as a local run; a run no longer leased to it is a 409, a revoked token a 401, and a
 * runner that stops heartbeating loses the run to the reaper (process_lost, one retry that stays
 * queued for a runner).
 */

const t = useTestServer({ runtime: { schedulerIntervalMs: 300, leaseMs: 1500 } });
const home = path.join(os.tmpdir(), "staple-runner-work-home");
const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out"];

async function token(companyId: string | null, name = "runner token") {
  const url = companyId ? `/api/companies/${companyId}/runner-tokens` : "/api/instance/runner-tokens";
  const res = await t.current.post(url, { name });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; token: string };
}

async function register(tok: string, labels: string[], adapterTypes = ["process", "http"]) {
  const res = await t.current.post("/api/runners/register", { name: "box", labels, adapterTypes }, { token: tok });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; leaseMs: number };
}

const claim = (runnerId: string, tok: string, body: Record<string, unknown> = {}) =>
  t.current.post(`/api/runners/${runnerId}/claim`, { max: 4, waitMs: 0, home, ...body }, { token: tok });

async function wake(agentId: string) {
  const res = await t.current.post(`/api/agents/${agentId}/wakeup`, { source: "on_demand", reason: "runner-test" });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id as string;
}

const runRow = async (runId: string) =>
  (
    await t.current.tdb.db.query<{
      status: string;
      runnerId: string | null;
      leaseOwner: string | null;
      errorCode: string | null;
      error: string | null;
    }>("SELECT status, runner_id, lease_owner, error_code, error FROM heartbeat_runs WHERE id = $1", [runId])
  )[0]!;

const piece = (seq: number, byteOffset: number, chunk: string) => {
  const content = `${JSON.stringify({ ts: new Date().toISOString(), stream: "stdout", chunk })}\n`;
  return { piece: { seq, byteOffset, stream: "stdout", content, createdAt: new Date().toISOString() }, bytes: Buffer.byteLength(content) };
};

describe("runner claim, log, events and finish", () => {
  it("a bound agent's run stays queued on the server and goes only to a runner whose label, adapters and scope match", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const bound = await createAgent(t.current, company.id, { runtimeConfig: { runner: "gpu" } });
    const local = await createAgent(t.current, company.id);
    const boundRun = await wake(bound.id);
    const localRun = await wake(local.id);
    // The server executes the unbound agent's run and leaves the bound one queued, pass after pass.
    await waitFor("local run done", async () => TERMINAL.includes((await runRow(localRun)).status));
    await t.current.services.engine.runPeriodicPass();
    await new Promise((r) => setTimeout(r, 700));
    expect((await runRow(boundRun)).status).toBe("queued");

    const mine = await token(company.id);
    const theirs = await token(other.id);
    const wrongLabel = await register(mine.token, ["cpu"]);
    const wrongAdapter = await register(mine.token, ["gpu"], ["claude_local"]);
    const wrongCompany = await register(theirs.token, ["gpu"]);
    for (const [runner, tok] of [
      [wrongLabel, mine.token],
      [wrongAdapter, mine.token],
      [wrongCompany, theirs.token],
    ] as const) {
      const res = await claim(runner.id, tok);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.runs).toEqual([]);
    }
    // A runner answers only to the token it registered with.
    expect((await claim(wrongLabel.id, theirs.token)).status).toBe(401);
    expect((await runRow(boundRun)).status).toBe("queued");

    const gpu = await register(mine.token, ["gpu"]);
    const res = await claim(gpu.id, mine.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.runs).toHaveLength(1);
    const packet = res.body.runs[0];
    expect(packet).toMatchObject({
      run: { id: boundRun, agentId: bound.id, companyId: company.id },
      adapterType: "process",
      agent: { id: bound.id, adapterConfig: { command: "/bin/true" } },
      cwd: path.join(home, "agents", bound.id, "workspace"),
      prompt: null,
    });
    expect(packet.env.PAPERCLIP_API_URL).toBe(t.current.url);
    expect(packet.env.PAPERCLIP_RUN_ID).toBe(boundRun);
    expect(packet.secrets[0]).toBe(packet.env.PAPERCLIP_API_KEY);
    expect(await runRow(boundRun)).toMatchObject({ status: "running", runnerId: gpu.id, leaseOwner: `runner:${gpu.id}` });
    // An instance token's runner with the label would have matched too, but the run is taken.
    const fleet = await register((await token(null, "fleet")).token, ["gpu"]);
    expect((await claim(fleet.id, (await token(null, "fleet2")).token)).status).toBe(401);
  });

  it("log pieces are stored once however often they are sent, events are recorded, finish is idempotent, then 409", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { runtimeConfig: { runner: "mac" } });
    const tok = await token(company.id);
    const runner = await register(tok.token, ["mac"]);
    const stranger = await register(tok.token, ["mac"]);
    const runId = await wake(agent.id);
    const claimed = await claim(runner.id, tok.token);
    expect(claimed.body.runs.map((p: { run: { id: string } }) => p.run.id)).toEqual([runId]);

    const a = piece(0, 0, "hello from the runner\n");
    const b = piece(1, a.bytes, "second line\n");
    const logUrl = `/api/runners/${runner.id}/runs/${runId}/log`;
    // Announced on the live feed (a NOTIFY every server hears), so any server's board tails it.
    const heard: { type: string; payload: Record<string, unknown> }[] = [];
    const unsubscribe = t.current.services.live.subscribe(company.id, (e) => heard.push(e as never));
    for (let i = 0; i < 2; i++) {
      const sent = await t.current.post(logUrl, { pieces: [a.piece, b.piece] }, { token: tok.token });
      expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    }
    await waitFor("live log event", async () =>
      heard.some(
        (e) => e.type === "heartbeat.run.log" && e.payload.runId === runId && String(e.payload.chunk).includes("hello from the runner"),
      ),
    );
    unsubscribe();
    const stored = await t.current.tdb.db.query<{ seq: number }>(
      "SELECT seq FROM heartbeat_run_log_chunks WHERE run_id = $1 ORDER BY seq",
      [runId],
    );
    expect(stored.map((r) => r.seq)).toEqual([0, 1]);
    const log = await t.current.get(`/api/heartbeat-runs/${runId}/log`);
    expect(log.status).toBe(200);
    expect(log.body.content).toContain("hello from the runner");
    expect(log.body.content).toContain("second line");

    // Another runner (same token) does not hold this run's lease.
    const foreign = await t.current.post(`/api/runners/${stranger.id}/runs/${runId}/log`, { pieces: [a.piece] }, { token: tok.token });
    expect(foreign.status).toBe(409);
    expect(foreign.body.code).toBe("runner_lease_lost");

    const events = await t.current.post(
      `/api/runners/${runner.id}/runs/${runId}/events`,
      {
        events: [{ eventType: "assistant.text", message: "thinking" }],
        spawn: { pid: 4242, processGroupId: 4242, startedAt: new Date().toISOString() },
      },
      { token: tok.token },
    );
    expect(events).toMatchObject({ status: 200, body: { events: 2 } });
    const recorded = await t.current.get(`/api/heartbeat-runs/${runId}/events`);
    const types = (recorded.body as { eventType: string }[]).map((e) => e.eventType);
    expect(types).toEqual(expect.arrayContaining(["assistant.text", "runner.spawn"]));
    const started = (recorded.body as { eventType: string; message: string; payload: Record<string, unknown> }[]).find(
      (e) => e.message === "run started",
    );
    expect(started?.payload.runnerId).toBe(runner.id);
    // The runner's pid is never recorded as this server's process.
    expect(
      (await t.current.tdb.db.query<{ processPid: number | null }>("SELECT process_pid FROM heartbeat_runs WHERE id = $1", [runId]))[0]!
        .processPid,
    ).toBeNull();

    const finishUrl = `/api/runners/${runner.id}/runs/${runId}/finish`;
    const finish = {
      result: { exitCode: 0, signal: null, timedOut: false },
      stdoutExcerpt: "second line\n",
      log: { bytes: a.bytes + b.bytes, sha256: null, droppedBytes: 0 },
    };
    const first = await t.current.post(finishUrl, finish, { token: tok.token });
    expect(first, JSON.stringify(first.body)).toMatchObject({ status: 200, body: { accepted: true, status: "succeeded" } });
    const again = await t.current.post(
      finishUrl,
      { ...finish, result: { exitCode: 1, signal: null, timedOut: false } },
      { token: tok.token },
    );
    expect(again).toMatchObject({ status: 200, body: { accepted: false, status: "succeeded" } });
    expect((await runRow(runId)).status).toBe("succeeded");
    const run = await t.current.get(`/api/heartbeat-runs/${runId}`);
    expect(run.body).toMatchObject({ status: "succeeded", stdoutExcerpt: "second line\n" });

    const late = await t.current.post(logUrl, { pieces: [piece(2, a.bytes + b.bytes, "late\n").piece] }, { token: tok.token });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe("runner_lease_lost");
    const lateEvents = await t.current.post(`/api/runners/${runner.id}/runs/${runId}/events`, { events: [] }, { token: tok.token });
    expect(lateEvents.status).toBe(409);
  });

  it("a claim waits for work and is woken by a new wake; a revoked token gets 401 on every runner request", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { runtimeConfig: { runner: "poll" } });
    const tok = await token(company.id);
    const runner = await register(tok.token, ["poll"]);
    const started = Date.now();
    const pending = claim(runner.id, tok.token, { waitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    const runId = await wake(agent.id);
    const res = await pending;
    expect(res.body.runs.map((p: { run: { id: string } }) => p.run.id)).toEqual([runId]);
    expect(Date.now() - started).toBeLessThan(5_000);

    await t.current.del(`/api/runner-tokens/${tok.id}`);
    for (const [url, body] of [
      [`/api/runners/${runner.id}/claim`, { max: 1, home }],
      [`/api/runners/${runner.id}/runs/${runId}/log`, { pieces: [] }],
      [`/api/runners/${runner.id}/runs/${runId}/events`, { events: [] }],
      [`/api/runners/${runner.id}/runs/${runId}/finish`, { result: null }],
    ] as const) {
      const refused = await t.current.post(url, body, { token: tok.token });
      expect(refused.status, url).toBe(401);
      expect(refused.body.code).toBe("invalid_runner_token");
    }
    expect((await runRow(runId)).status).toBe("running");
  });

  it("a runner that stops heartbeating loses its run: process_lost once, and the retry waits queued for a runner", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { runtimeConfig: { runner: "flaky" } });
    const tok = await token(company.id);
    const runner = await register(tok.token, ["flaky"]);
    const runId = await wake(agent.id);
    expect((await claim(runner.id, tok.token)).body.runs).toHaveLength(1);
    const ended = await waitFor("reaped", async () => {
      const row = await runRow(runId);
      return row.status === "failed" ? row : null;
    });
    expect(ended.errorCode).toBe("process_lost");
    expect(ended.error).toContain("runner executing this run");
    const runs = await t.current.tdb.db.query<{ id: string; status: string; retryOfRunId: string | null }>(
      "SELECT id, status, retry_of_run_id FROM heartbeat_runs WHERE agent_id = $1 ORDER BY created_at",
      [agent.id],
    );
    expect(runs).toHaveLength(2);
    expect(runs[1]).toMatchObject({ status: "queued", retryOfRunId: runId });
    // Its finish after the lease lapsed is acknowledged and ignored.
    const late = await t.current.post(
      `/api/runners/${runner.id}/runs/${runId}/finish`,
      { result: { exitCode: 0, signal: null, timedOut: false } },
      { token: tok.token },
    );
    expect(late.body).toEqual({ accepted: false, status: "failed" });
    // A runner with the label takes the retry.
    const second = await register(tok.token, ["flaky"]);
    const taken = await claim(second.id, tok.token);
    expect(taken.body.runs.map((p: { run: { id: string } }) => p.run.id)).toEqual([runs[1]!.id]);
  });

  it("refuses a malformed claim or log batch with a 400 naming the field", async () => {
    const company = await createCompany(t.current);
    const tok = await token(company.id);
    const runner = await register(tok.token, ["x"]);
    const bad = await t.current.post(`/api/runners/${runner.id}/claim`, { max: 0, home }, { token: tok.token });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("max");
    const noHome = await t.current.post(`/api/runners/${runner.id}/claim`, { max: 1 }, { token: tok.token });
    expect(noHome.status).toBe(400);
    expect(JSON.stringify(noHome.body)).toContain("home");
  });
});
