import { describe, expect, it } from "vitest";
import { isProcessAlive, isProcessGroupAlive } from "@staple/adapter-kit";
import {
  DB_KIND,
  agentScript,
  call,
  createAgent,
  createCompany,
  createSite,
  getRun,
  liveAgentGroups,
  sleep,
  useCrashSites,
  waitSpawned,
  wake,
} from "../helpers/crash-site.js";

/**
 * Cancelling a detached run kills it (docs/runs.md#cancellation): the built server is SIGKILLed while
 * a long agent runs (the agent survives its server), restarted on the same data, and the run is then
 * cancelled — directly, or by pausing its agent. Within 5 s no process of the agent's group is left,
 * and the run is `cancelled`.
 *
 * Not part of `npm test`: run with `npm run test:crash` (vitest.crash.config.ts).
 */

useCrashSites();

describe(`cancelling a detached run after a restart (${DB_KIND} database)`, () => {
  it.each([
    ["cancelling the run", (url: string, runId: string) => call(url, "POST", `/api/heartbeat-runs/${runId}/cancel`, {})],
    ["pausing its agent", (url: string, _runId: string, agentId: string) => call(url, "POST", `/api/agents/${agentId}/pause`, {})],
  ])("%s stops the agent's process group", async (_label, cancel) => {
    const site = await createSite("detached-cancel");
    // A long agent: it sleeps (in a child process, so the group has two members) far beyond the test.
    const script = agentScript(site.journal, "sleep 120 & wait");
    const s1 = await site.start();
    const companyId = await createCompany(s1.url, "Detached Cancel Co");
    const agentId = await createAgent(s1.url, companyId, "long-sleeper", script);
    const woke = await wake(s1.url, agentId, "detached-cancel");
    expect(woke.status).toBe(202);
    const runId: string = woke.body.id;
    const { pid, pgid } = await waitSpawned(site, s1.url, runId);

    await s1.kill();
    expect(isProcessAlive(pid), "the agent survives its server").toBe(true);
    const s2 = await site.start();
    expect((await getRun(s2.url, runId)).status).toBe("running");

    const res = await cancel(s2.url, runId, agentId);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await getRun(s2.url, runId)).status).toBe("cancelled");

    await sleep(5_000);
    expect(isProcessGroupAlive(pgid), `process group ${pgid} of run ${runId} 5 s after the cancel`).toBe(false);
    expect(liveAgentGroups(site)).toEqual([]);
    const events = await call(s2.url, "GET", `/api/heartbeat-runs/${runId}/events`);
    expect((events.body as Array<{ message: string | null }>).some((e) => e.message?.startsWith("Stopped detached process group"))).toBe(
      true,
    );
  });
});
