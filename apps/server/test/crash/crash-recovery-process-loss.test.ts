import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isProcessAlive, isProcessGroupAlive } from "@staple/adapter-kit";
import {
  DB_KIND,
  ON_PG,
  TERMINAL,
  LEASE_MS,
  waitFor,
  call,
  getRun,
  listRuns,
  readJournal,
  agentScript,
  createSite,
  liveAgentGroups,
  createCompany,
  createAgent,
  wake,
  waitSpawned,
  killGroup,
  expectNoMoreRuns,
  useCrashSites,
} from "../helpers/crash-site.js";

/**
 * Crash recovery with real processes (docs/runs.md#lease-expiry-and-orphaned-processes), one loss at
 * a time: the built server is SIGKILLed while an agent process runs, then restarted on the same
 * data (the same STAPLE_HOME on the embedded database, the same database on the Postgres lane, when
 * TEST_DATABASE_URL is set): a surviving agent is kept, a lost one retried once, and the retry
 * budget is spent once. Agents are /bin/sh scripts of the `process` adapter that journal
 * "start <runId> <pid>" / "end <runId> <pid>" lines to a file, so what really executed is known
 * independently of the database.
 *
 * Not part of `npm test`: run with `npm run test:crash` (vitest.crash.config.ts).
 */

useCrashSites();

describe(`crash recovery with real server processes (${DB_KIND} database)`, () => {
  it("keeps a run whose agent outlived the server `running`/process_detached, then finishes it with exactly one retry", async () => {
    const site = await createSite("detached");
    // The first run sleeps until the test releases it (after it has seen the detached state; at most
    // 30 s), so a slow restart cannot outlast it; then it exits 0. The retry itself is short.
    const release = path.join(site.dir, "release");
    const script = agentScript(
      site.journal,
      `if [ "$PAPERCLIP_WAKE_REASON" = process_lost_retry ]; then sleep 0.2; else i=0; while [ ! -e '${release}' ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; fi`,
    );
    const s1 = await site.start();
    const companyId = await createCompany(s1.url, "Detached Co");
    const agentId = await createAgent(s1.url, companyId, "sleeper", script);
    const woke = await wake(s1.url, agentId, "detached-task");
    expect(woke.status).toBe(202);
    const firstId: string = woke.body.id;
    const { pid, pgid } = await waitSpawned(site, s1.url, firstId);

    await s1.kill();
    expect(isProcessAlive(pid), "the agent survives its server (the spawn host leaves it alone)").toBe(true);
    const s2 = await site.start();

    // While the pid lives the run is never failed; the restarted server marks it detached and
    // keeps it so across several lease periods (each pass re-checks the pid and extends the lease).
    let detachedSince: number | null = null;
    let observationsWhileAlive = 0;
    let released = false;
    await waitFor(
      "the agent process to exit",
      async () => {
        const run = await getRun(s2.url, firstId);
        if (!isProcessAlive(pid)) return true; // it may have exited after the read: nothing to assert
        observationsWhileAlive++;
        expect(run.status, `run ${firstId} while pid ${pid} lives`).toBe("running");
        if (run.errorCode === "process_detached") detachedSince ??= Date.now();
        else expect(run.errorCode).toBeNull();
        if (!released && detachedSince !== null && Date.now() - detachedSince > LEASE_MS * 2) {
          if (ON_PG) {
            const [w] = await site.query<{ status: string }>("SELECT status FROM agent_wakeup_requests WHERE id = $1", [
              run.wakeupRequestId,
            ]);
            expect(w?.status, "the wake of a detached run stays claimed").toBe("claimed");
          }
          fs.writeFileSync(release, "");
          released = true;
        }
        return false;
      },
      40_000,
      100,
    );
    expect(observationsWhileAlive).toBeGreaterThan(0);
    expect(detachedSince, "the run was marked process_detached while its pid lived").not.toBeNull();
    expect(released, "the agent exited only once released").toBe(true);
    const events = (await call<{ message: string | null }[]>(s2.url, "GET", `/api/heartbeat-runs/${firstId}/events`)).body;
    expect(events.some((e) => e.message?.includes(`pid ${pid} still alive`))).toBe(true);

    // The pid is gone: the reaper finishes the run as process_lost and queues the single retry.
    const first = await waitFor(
      "the detached run to be reaped",
      async () => {
        const r = await getRun(s2.url, firstId);
        return TERMINAL.has(r.status) ? r : undefined;
      },
      15_000,
    );
    expect(first.status).toBe("failed");
    expect(first.errorCode).toBe("process_lost");
    const runs = await listRuns(s2.url, companyId, agentId);
    expect(runs).toHaveLength(2);
    const retry = runs.find((r) => r.id !== firstId)!;
    expect(retry.retryOfRunId).toBe(firstId);
    expect(retry.processLossRetryCount).toBe(1);
    expect(retry.contextSnapshot?.wakeReason).toBe("process_lost_retry");
    expect(retry.contextSnapshot?.retryReason).toBe("process_lost");
    const finished = await waitFor(
      "the retry to finish",
      async () => {
        const r = await getRun(s2.url, retry.id);
        return TERMINAL.has(r.status) ? r : undefined;
      },
      20_000,
    );
    expect(finished.status).toBe("succeeded");
    await expectNoMoreRuns(s2.url, companyId, agentId, 2);

    // What really ran: the detached original to its end (unseen by the engine) and the one retry.
    const journal = readJournal(site.journal);
    expect(journal.map((l) => `${l.kind} ${l.runId}`).sort()).toEqual(
      [`end ${firstId}`, `end ${retry.id}`, `start ${firstId}`, `start ${retry.id}`].sort(),
    );
    expect(isProcessGroupAlive(pgid)).toBe(false);
    expect(liveAgentGroups(site)).toEqual([]);
    await s2.stop();
    if (ON_PG) {
      const wakes = await site.query<{ status: string }>("SELECT status FROM agent_wakeup_requests WHERE id = $1", [first.wakeupRequestId]);
      expect(wakes[0]?.status).toBe("failed");
    }
  }, 120_000);

  it("fails a run whose server and agent both died as process_lost and runs its single retry to completion", async () => {
    const site = await createSite("lost");
    const script = agentScript(site.journal, `if [ "$PAPERCLIP_WAKE_REASON" = process_lost_retry ]; then sleep 0.2; else sleep 30; fi`);
    const s1 = await site.start();
    const companyId = await createCompany(s1.url, "Lost Co");
    const agentId = await createAgent(s1.url, companyId, "victim", script);
    const woke = await wake(s1.url, agentId, "lost-task");
    expect(woke.status).toBe(202);
    const firstId: string = woke.body.id;
    const { pgid } = await waitSpawned(site, s1.url, firstId);

    await s1.kill();
    await killGroup(pgid);
    const s2 = await site.start();

    const first = await waitFor(
      "the orphaned run to be reaped",
      async () => {
        const r = await getRun(s2.url, firstId);
        if (r.status === "running") expect(r.errorCode, "a dead pid is never reported detached").not.toBe("process_detached");
        return TERMINAL.has(r.status) ? r : undefined;
      },
      15_000,
    );
    expect(first.status).toBe("failed");
    expect(first.errorCode).toBe("process_lost");
    expect(first.error).toMatch(/^Process lost/);

    const runs = await listRuns(s2.url, companyId, agentId);
    expect(runs).toHaveLength(2);
    const retry = runs.find((r) => r.id !== firstId)!;
    expect(retry.retryOfRunId).toBe(firstId);
    expect(retry.processLossRetryCount).toBe(1);
    expect(retry.contextSnapshot?.wakeReason).toBe("process_lost_retry");
    const finished = await waitFor(
      "the retry to finish",
      async () => {
        const r = await getRun(s2.url, retry.id);
        return TERMINAL.has(r.status) ? r : undefined;
      },
      20_000,
    );
    expect(finished.status).toBe("succeeded");
    await expectNoMoreRuns(s2.url, companyId, agentId, 2);

    const journal = readJournal(site.journal);
    expect(journal.map((l) => `${l.kind} ${l.runId}`).sort()).toEqual([`end ${retry.id}`, `start ${firstId}`, `start ${retry.id}`].sort());
    expect(liveAgentGroups(site)).toEqual([]);
    await s2.stop();
  }, 120_000);

  it("spends the process-loss retry budget once: a retry lost the same way is not retried again", async () => {
    const site = await createSite("budget");
    const script = agentScript(site.journal, "sleep 30");
    const s1 = await site.start();
    const companyId = await createCompany(s1.url, "Budget Co");
    const agentId = await createAgent(s1.url, companyId, "twice-unlucky", script);
    const woke = await wake(s1.url, agentId, "budget-task");
    expect(woke.status).toBe(202);
    const firstId: string = woke.body.id;
    const g1 = await waitSpawned(site, s1.url, firstId);
    await s1.kill();
    await killGroup(g1.pgid);

    const s2 = await site.start();
    const retry = await waitFor(
      "the retry to be queued",
      async () => (await listRuns(s2.url, companyId, agentId)).find((r) => r.id !== firstId),
      15_000,
    );
    expect(retry.retryOfRunId).toBe(firstId);
    expect(retry.processLossRetryCount).toBe(1);
    expect((await getRun(s2.url, firstId)).errorCode).toBe("process_lost");
    const g2 = await waitSpawned(site, s2.url, retry.id);
    await s2.kill();
    await killGroup(g2.pgid);

    const s3 = await site.start();
    const lost = await waitFor(
      "the retry to be reaped",
      async () => {
        const r = await getRun(s3.url, retry.id);
        return TERMINAL.has(r.status) ? r : undefined;
      },
      15_000,
    );
    expect(lost.status).toBe("failed");
    expect(lost.errorCode).toBe("process_lost");
    await expectNoMoreRuns(s3.url, companyId, agentId, 2);
    const journal = readJournal(site.journal);
    expect(journal.map((l) => `${l.kind} ${l.runId}`).sort()).toEqual([`start ${firstId}`, `start ${retry.id}`].sort());
    expect(liveAgentGroups(site)).toEqual([]);
    await s3.stop();
  }, 120_000);
});
