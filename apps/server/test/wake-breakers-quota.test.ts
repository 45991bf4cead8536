import { describe, expect, it } from "vitest";
import { createFakeAdapter, type AdapterExecuteContext, type AdapterResult } from "@staple/adapter-kit";
import { processAdapter } from "@staple/adapter-process";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { useTestServer, waitFor } from "./helpers/test-server.js";

/**
 * Account quota breaker (docs/runs.md#quota-breaker): a provider usage limit with a reset time on
 * one agent holds every agent on the same credential (here: the same Claude CLI login) until the
 * reset; their wakes wait as queued work, not failures, and run once the (fake) clock passes the
 * reset. An agent with its own API key is not held. The board sees the hold and its reset time.
 */
let offsetMs = 0;
const clock = { now: () => new Date(Date.now() + offsetMs), random: () => 0.5 };
const behaviour = new Map<string, (ctx: AdapterExecuteContext) => AdapterResult>();
const fake = createFakeAdapter(async (ctx) => behaviour.get(ctx.agent.id)?.(ctx) ?? { exitCode: 0, signal: null, timedOut: false }, {
  type: "claude_local",
});
const t = useTestServer({ runtime: { clock, adapters: { process: processAdapter, claude_local: fake } } });
const HOUR = 3600_000;

const claude = (companyId: string, env?: Record<string, unknown>) =>
  createAgent(t.current, companyId, { adapterType: "claude_local", adapterConfig: env ? { env } : {} });
async function wake(agentId: string) {
  const res = await t.current.post(`/api/agents/${agentId}/wakeup`, { source: "on_demand", reason: "test" });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body as { id: string; status: string };
}
const runStatus = async (runId: string) =>
  (await t.current.tdb.db.query<{ status: string }>("SELECT status FROM heartbeat_runs WHERE id = $1", [runId]))[0]!.status;
const waitStatus = (runId: string, statuses: string[]) =>
  waitFor(`run ${runId} in ${statuses}`, async () => ((s) => (statuses.includes(s) ? s : null))(await runStatus(runId)), 20_000);

describe("quota breaker", () => {
  it("holds the other agents on the same CLI login until the reset; other credentials run; the board sees the hold", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const limited = await claude(company.id);
    const sameLogin = await claude(company.id);
    const ownKey = await claude(company.id, { ANTHROPIC_API_KEY: { type: "secret", value: "sk-ant-test-own-key-0001" } });
    const otherTenant = await claude(other.id);
    let failures = 0;
    behaviour.set(limited.id, () =>
      failures++ === 0
        ? {
            exitCode: 1,
            signal: null,
            timedOut: false,
            errorMessage: "Claude AI usage limit reached",
            errorCode: "claude_transient_upstream",
            errorFamily: "transient_upstream",
            retryNotBefore: new Date(clock.now().getTime() + HOUR).toISOString(),
          }
        : { exitCode: 0, signal: null, timedOut: false },
    );

    const first = await wake(limited.id);
    expect(await waitStatus(first.id, ["failed"])).toBe("failed");

    const holds = await t.current.get(`/api/companies/${company.id}/quota-holds`);
    expect(holds.status, JSON.stringify(holds.body)).toBe(200);
    expect(holds.body).toHaveLength(1);
    const hold = holds.body[0];
    expect(hold).toMatchObject({
      credentialKind: "cli_login",
      adapterType: "claude_local",
      sourceAgentId: limited.id,
      sourceRunId: first.id,
    });
    expect(Math.abs(new Date(hold.resetAt).getTime() - (clock.now().getTime() + HOUR))).toBeLessThan(30_000);
    expect([...hold.heldAgentIds].sort()).toEqual([limited.id, sameLogin.id].sort());

    // Same login: the wake waits as queued work across several scheduler passes, nothing fails.
    const held = await wake(sameLogin.id);
    const elsewhere = await wake(ownKey.id);
    const tenant = await wake(otherTenant.id);
    expect(await waitStatus(elsewhere.id, ["succeeded"])).toBe("succeeded");
    await new Promise((r) => setTimeout(r, 2000));
    expect(await runStatus(held.id)).toBe("queued");
    expect(await runStatus(tenant.id)).toBe("queued");
    const [wakeRow] = await t.current.tdb.db.query<{ status: string }>(
      "SELECT w.status FROM agent_wakeup_requests w JOIN heartbeat_runs r ON r.wakeup_request_id = w.id WHERE r.id = $1",
      [held.id],
    );
    expect(wakeRow!.status).toBe("queued");

    // The agent page's report shows the hold and its reset time; the other tenant sees the hold without our agent or run.
    const report = await t.current.get(`/api/agents/${sameLogin.id}/wake-report`);
    expect(report.status).toBe(200);
    expect(report.body.quotaHolds).toHaveLength(1);
    expect(report.body.quotaHolds[0]).toMatchObject({ resetAt: hold.resetAt, queuedRunCount: 1 });
    const theirs = await t.current.get(`/api/companies/${other.id}/quota-holds`);
    expect(theirs.body).toHaveLength(1);
    expect(theirs.body[0]).toMatchObject({ sourceAgentId: null, sourceRunId: null, heldAgentIds: [otherTenant.id], resetAt: hold.resetAt });
    expect(JSON.stringify(theirs.body)).not.toContain(limited.id);

    // After the reset the held work runs.
    offsetMs = HOUR + 5000;
    expect(await waitStatus(held.id, ["succeeded"])).toBe("succeeded");
    expect(await waitStatus(tenant.id, ["succeeded"])).toBe("succeeded");
    expect((await t.current.get(`/api/companies/${company.id}/quota-holds`)).body).toEqual([]);
  });

  it("a company that turns the quota breaker off is not held", async () => {
    const company = await createCompany(t.current);
    expect((await t.current.patch(`/api/companies/${company.id}/wake-breakers`, { quotaBreaker: { enabled: false } })).status).toBe(200);
    const source = await claude(company.id, { HOME: "/tmp/staple-quota-off" });
    const peer = await claude(company.id, { HOME: "/tmp/staple-quota-off" });
    behaviour.set(source.id, () => ({
      exitCode: 1,
      signal: null,
      timedOut: false,
      errorMessage: "usage limit reached",
      errorCode: "claude_transient_upstream",
      errorFamily: "transient_upstream",
      retryNotBefore: new Date(clock.now().getTime() + HOUR).toISOString(),
    }));
    expect(await waitStatus((await wake(source.id)).id, ["failed"])).toBe("failed");
    expect(await waitStatus((await wake(peer.id)).id, ["succeeded"])).toBe("succeeded");
    expect((await t.current.get(`/api/companies/${company.id}/quota-holds`)).body).toEqual([]);
  });
});
