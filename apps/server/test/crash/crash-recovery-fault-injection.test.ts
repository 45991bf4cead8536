import { describe, expect, it } from "vitest";
import {
  DB_KIND,
  TERMINAL,
  LIVE,
  sleep,
  waitFor,
  type Run,
  listRuns,
  readJournal,
  agentScript,
  mulberry32,
  createSite,
  liveAgentGroups,
  createCompany,
  createAgent,
  wake,
  useCrashSites,
} from "../helpers/crash-site.js";
import type { ServerProcess } from "../helpers/server-process.js";

/**
 * Crash recovery under injected faults (docs/runs.md#lease-expiry-and-orphaned-processes): 100
 * wakeups across 10 SIGKILLs of the built server, restarted each time on the same data (the same
 * STAPLE_HOME on the embedded database, the same database on the Postgres lane, when
 * TEST_DATABASE_URL is set); each wakeup ends exactly once. Agents are /bin/sh scripts of the
 * `process` adapter that journal "start <runId> <pid>" / "end <runId> <pid>" lines to a file, so
 * what really executed is known independently of the database.
 *
 * Not part of `npm test`: run with `npm run test:crash` (vitest.crash.config.ts).
 */

useCrashSites();

describe(`crash recovery with real server processes (${DB_KIND} database)`, () => {
  it("fault injection: 100 wakeups across 10 SIGKILLs each end exactly once (plus at most the one process-loss retry)", async () => {
    const seed = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
    console.log(`fault-injection seed=${seed} database=${DB_KIND} (rerun with CRASH_SEED=${seed})`);
    const rand = mulberry32(seed);
    const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    const WAKEUPS = 100;
    const KILLS = 10;
    const AGENTS = 10;
    const started = Date.now();

    const site = await createSite("faults");
    // Each run sleeps 0.1-0.3 s (from its pid: dash has no $RANDOM).
    const script = agentScript(site.journal, "sleep 0.$(( $$ % 3 + 1 ))");
    let current: ServerProcess | undefined = await site.start();
    const companyId = await createCompany(current.url, "Faults Co");
    const agentIds: string[] = [];
    for (let i = 0; i < AGENTS; i++) agentIds.push(await createAgent(current.url, companyId, `worker-${i}`, script, 2));

    // The whole schedule is drawn up front, so it depends on the seed only.
    const plan = Array.from({ length: WAKEUPS }, (_, i) => ({ i, agentId: agentIds[between(0, AGENTS - 1)]!, gapMs: between(50, 700) }));
    const killDelays = Array.from({ length: KILLS }, () => between(50, 2500));

    const accepted = new Map<number, { runId: string; wakeupRequestId: string }>();
    let failedRequests = 0;
    let next = 0;
    const sender = async () => {
      while (next < WAKEUPS) {
        const w = plan[next++]!;
        await sleep(w.gapMs);
        // Until accepted: a request cut by a kill is sent again (same idempotency key) to whichever server is up.
        for (let attempt = 0; ; attempt++) {
          if (attempt > 400) throw new Error(`wakeup ${w.i} was never accepted`);
          const server = current;
          if (!server) {
            await sleep(50);
            continue;
          }
          let res: { status: number; body: any };
          try {
            res = await wake(server.url, w.agentId, `task-${w.i}`, `wake-${w.i}`);
          } catch {
            failedRequests++;
            await sleep(50);
            continue;
          }
          if (res.status === 202) {
            expect(res.body.id, JSON.stringify(res.body)).toBeTruthy();
            accepted.set(w.i, { runId: res.body.id, wakeupRequestId: res.body.wakeupRequestId });
            break;
          }
          if (res.status < 500) throw new Error(`wakeup ${w.i} -> ${res.status} ${JSON.stringify(res.body)}`);
          failedRequests++;
          await sleep(50);
        }
      }
    };
    let kills = 0;
    const killer = async () => {
      for (const delay of killDelays) {
        await sleep(delay);
        const victim = current!;
        current = undefined;
        await victim.kill();
        kills++;
        current = await site.start();
      }
    };
    await Promise.all([sender(), sender(), sender(), killer()]);
    expect(kills).toBe(KILLS);
    expect(accepted.size).toBe(WAKEUPS);
    const server = current!;

    // Bounded wait for quiescence: every run terminal (detached pids end within 0.3 s).
    await waitFor(
      "every run to be terminal",
      async () => {
        const runs = await listRuns(server.url, companyId);
        return runs.length >= WAKEUPS && runs.every((r) => !LIVE.has(r.status));
      },
      120_000,
      250,
    );
    await server.stop();

    const runs = await site.query<Run & { status: string; taskKey: string | null }>(
      `SELECT id, agent_id, status, error_code, error, wakeup_request_id, retry_of_run_id, process_loss_retry_count, task_key
         FROM heartbeat_runs WHERE company_id = $1`,
      [companyId],
    );
    const wakes = await site.query<{ id: string; status: string; runId: string | null; reason: string | null }>(
      "SELECT id, status, run_id, reason FROM agent_wakeup_requests WHERE company_id = $1",
      [companyId],
    );
    const lockedByTerminal = await site.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM issues i JOIN heartbeat_runs r ON r.id = i.execution_run_id
        WHERE i.company_id = $1 AND r.status IN ('succeeded', 'failed', 'cancelled', 'timed_out')`,
      [companyId],
    );
    // docs/runs.md#environment-leases: a reaped run's environment lease ends (`failed`); nothing
    // stays held by a finished run.
    const leasesOfTerminalRuns = await site.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM environment_leases l JOIN heartbeat_runs r ON r.id = l.heartbeat_run_id
        WHERE l.company_id = $1 AND l.status = 'active' AND r.status IN ('succeeded', 'failed', 'cancelled', 'timed_out')`,
      [companyId],
    );
    const agentsStillRunning = await site.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM agents WHERE company_id = $1 AND status = 'running'",
      [companyId],
    );
    const journal = readJournal(site.journal);

    const byId = new Map(runs.map((r) => [r.id, r]));
    const wakeById = new Map(wakes.map((w) => [w.id, w]));
    const byStatus: Record<string, number> = {};
    const byErrorCode: Record<string, number> = {};
    for (const r of runs) {
      byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
      if (r.errorCode) byErrorCode[r.errorCode] = (byErrorCode[r.errorCode] ?? 0) + 1;
    }
    const startsPerRun = new Map<string, number>();
    for (const l of journal) if (l.kind === "start") startsPerRun.set(l.runId, (startsPerRun.get(l.runId) ?? 0) + 1);
    const ends = new Set(journal.filter((l) => l.kind === "end").map((l) => l.runId));
    const runsPerTask = new Map<string, Run[]>();
    for (const r of runs) runsPerTask.set(r.taskKey!, [...(runsPerTask.get(r.taskKey!) ?? []), r]);
    const executionsPerTask = new Map<string, number>();
    for (const [runId, n] of startsPerRun) {
      const task = byId.get(runId)?.taskKey ?? `unknown:${runId}`;
      executionsPerTask.set(task, (executionsPerTask.get(task) ?? 0) + n);
    }
    const retries = runs.filter((r) => r.retryOfRunId);
    const terminalWakeStatuses = new Set(["completed", "failed", "cancelled", "timed_out", "skipped", "coalesced"]);
    let acceptedTerminal = 0;
    for (const { runId, wakeupRequestId } of accepted.values()) {
      const run = byId.get(runId);
      const wakeRow = wakeById.get(wakeupRequestId);
      if ((run && TERMINAL.has(run.status)) || (wakeRow && terminalWakeStatuses.has(wakeRow.status))) acceptedTerminal++;
    }
    const summary = {
      seed,
      database: DB_KIND,
      kills,
      wakeupsAccepted: accepted.size,
      requestsFailed: failedRequests,
      acceptedWithTerminalOutcome: acceptedTerminal,
      runs: runs.length,
      runsByStatus: byStatus,
      runsByErrorCode: byErrorCode,
      processLossRetries: retries.length,
      liveRuns: runs.filter((r) => LIVE.has(r.status)).length,
      wakesByStatus: wakes.reduce<Record<string, number>>((acc, w) => ((acc[w.status] = (acc[w.status] ?? 0) + 1), acc), {}),
      journalStarts: journal.filter((l) => l.kind === "start").length,
      maxStartsPerRun: Math.max(0, ...startsPerRun.values()),
      tasksExecutedTwice: [...executionsPerTask.values()].filter((n) => n === 2).length,
      maxExecutionsPerTask: Math.max(0, ...executionsPerTask.values()),
      issuesLockedByTerminalRuns: lockedByTerminal[0]!.n,
      activeLeasesOfTerminalRuns: leasesOfTerminalRuns[0]!.n,
      agentsLeftRunning: agentsStillRunning[0]!.n,
      survivingAgentGroups: liveAgentGroups(site).length,
      durationMs: Date.now() - started,
    };
    console.log(`CRASH_SUMMARY ${JSON.stringify(summary)}`);

    // Every accepted wakeup: one run (the 202's), terminal, and its wake row terminal too.
    expect(acceptedTerminal).toBe(WAKEUPS);
    for (const [i, { runId, wakeupRequestId }] of accepted) {
      const run = byId.get(runId);
      expect(run, `wakeup ${i}: run ${runId} exists`).toBeDefined();
      expect(run!.taskKey).toBe(`task-${i}`);
      expect(run!.wakeupRequestId).toBe(wakeupRequestId);
      expect(
        terminalWakeStatuses.has(wakeById.get(wakeupRequestId)?.status ?? ""),
        `wake ${wakeupRequestId}: ${wakeById.get(wakeupRequestId)?.status}`,
      ).toBe(true);
    }
    // Exactly one original run per wakeup (resends under the idempotency key found the first one).
    expect(runs.filter((r) => !r.retryOfRunId)).toHaveLength(WAKEUPS);
    expect(summary.liveRuns).toBe(0);
    expect(wakes.filter((w) => !terminalWakeStatuses.has(w.status))).toEqual([]);
    expect(summary.issuesLockedByTerminalRuns).toBe(0);
    expect(summary.activeLeasesOfTerminalRuns).toBe(0);
    expect(summary.agentsLeftRunning).toBe(0);
    // Retries: only the process-loss kind, one per lost run, never a retry of a retry.
    for (const r of retries) {
      const source = byId.get(r.retryOfRunId!)!;
      expect(source, `retry ${r.id} names an existing run`).toBeDefined();
      expect(source.errorCode).toBe("process_lost");
      expect(source.retryOfRunId, `retry ${r.id} retries a retry`).toBeNull();
      expect(r.processLossRetryCount).toBe(1);
      expect(r.taskKey).toBe(source.taskKey);
    }
    expect(new Set(retries.map((r) => r.retryOfRunId)).size).toBe(retries.length);
    for (const r of runs) {
      if (r.errorCode === "process_lost" && !r.retryOfRunId) {
        expect(
          retries.some((x) => x.retryOfRunId === r.id),
          `lost run ${r.id} got its retry`,
        ).toBe(true);
      }
    }
    for (const [task, list] of runsPerTask) expect(list.length, `runs of ${task}`).toBeLessThanOrEqual(2);
    // From the journal: no run started twice, no wakeup executed more than twice (original + retry).
    for (const [runId, n] of startsPerRun) {
      expect(byId.has(runId), `journal run ${runId} is a run of this company`).toBe(true);
      expect(n, `starts of run ${runId}`).toBe(1);
    }
    for (const [task, n] of executionsPerTask) expect(n, `executions of ${task}`).toBeLessThanOrEqual(2);
    // A succeeded run really ran to its end; at most one run per wakeup succeeded.
    for (const r of runs)
      if (r.status === "succeeded") expect(ends.has(r.id) && startsPerRun.get(r.id) === 1, `succeeded run ${r.id} ran`).toBe(true);
    for (const [task, list] of runsPerTask)
      expect(list.filter((r) => r.status === "succeeded").length, `successes of ${task}`).toBeLessThanOrEqual(1);
    // Only SIGKILLs happened: no run ended for any other reason than success or process loss.
    for (const r of runs)
      expect(r.status === "succeeded" || r.errorCode === "process_lost", `run ${r.id}: ${r.status} ${r.errorCode} ${r.error}`).toBe(true);
    expect(summary.survivingAgentGroups).toBe(0);
  }, 300_000);
});
