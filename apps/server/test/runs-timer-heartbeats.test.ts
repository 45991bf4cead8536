import { describe, expect, it } from "vitest";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { useRunExecutionServer } from "./helpers/run-execution-kit.js";

/** Timer heartbeats: an enabled interval gets heartbeat_timer runs, a disabled one none. */

const { t, waitRunDone } = useRunExecutionServer();

describe("timer heartbeats", () => {
  it("an enabled heartbeat gets a heartbeat_timer run once its interval elapsed; a disabled one gets none", async () => {
    const company = await createCompany(t.current);
    // wakeWhenIdle: this agent has no work; without it the timer records a skipped wake instead
    // (docs/runs.md#idle-timer-wakes, test/wake-breakers-idle.test.ts).
    const enabled = await createAgent(t.current, company.id, {
      runtimeConfig: { heartbeat: { enabled: true, intervalSec: 1, wakeWhenIdle: true } },
    });
    const disabled = await createAgent(t.current, company.id, { runtimeConfig: { heartbeat: { enabled: false, intervalSec: 1 } } });
    await t.current.tdb.db.query("UPDATE agents SET last_heartbeat_at = now() - interval '1 hour' WHERE id = ANY($1::uuid[])", [
      [enabled.id, disabled.id],
    ]);

    await t.current.services.engine.runPeriodicPass();

    const timerRuns = await t.current.tdb.db.query<{
      id: string;
      invocationSource: string;
      triggerDetail: string;
      taskKey: string;
      contextSnapshot: any;
    }>(
      "SELECT id, invocation_source, trigger_detail, task_key, context_snapshot FROM heartbeat_runs WHERE agent_id = $1 ORDER BY created_at",
      [enabled.id],
    );
    expect(timerRuns.length).toBeGreaterThanOrEqual(1);
    expect(timerRuns[0]).toMatchObject({ invocationSource: "timer", triggerDetail: "system", taskKey: "__heartbeat__" });
    expect(timerRuns[0]!.contextSnapshot).toMatchObject({ wakeReason: "heartbeat_timer", source: "scheduler", reason: "interval_elapsed" });
    const [wakeRow] = await t.current.tdb.db.query<{
      source: string;
      reason: string;
      requestedByActorType: string;
      requestedByActorId: string;
    }>("SELECT source, reason, requested_by_actor_type, requested_by_actor_id FROM agent_wakeup_requests WHERE run_id = $1", [
      timerRuns[0]!.id,
    ]);
    expect(wakeRow).toEqual({
      source: "timer",
      reason: "heartbeat_timer",
      requestedByActorType: "system",
      requestedByActorId: "heartbeat_scheduler",
    });
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
