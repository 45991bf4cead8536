import type { FinalizeStep } from "./pipeline.js";

/** Adapters that keep a conversation session between runs (the others never produce one). */
export const SESSIONED_ADAPTERS: readonly string[] = [
  "claude_local",
  "codex_local",
  "gemini_local",
  "opencode_local",
  "cursor",
  "acp_local",
];

/**
 * Task sessions per (agent, adapter, task key) (docs/runs.md#sessions-and-usage): a run that
 * reports a session saves it for the next wake on the same task; `clearSession` or a
 * session-capable adapter reporting none removes it. A run that threw keeps the old session (it may
 * be resumable).
 */
export const taskSessionStep: FinalizeStep = {
  name: "task_session",
  onlyIfTransitioned: true,
  async run(ctx) {
    const { q, run, agent, result } = ctx;
    const taskKey = run.taskKey;
    if (!taskKey || !result) return;
    const hasSession = Boolean(result.sessionId || result.sessionParams);
    if (result.clearSession || (!hasSession && SESSIONED_ADAPTERS.includes(agent.adapterType))) {
      await q.query("DELETE FROM agent_task_sessions WHERE agent_id = $1 AND adapter_type = $2 AND task_key = $3", [
        agent.id,
        agent.adapterType,
        taskKey,
      ]);
      return;
    }
    if (!hasSession) return;
    const params = result.sessionParams ?? { sessionId: result.sessionId };
    await q.query(
      `INSERT INTO agent_task_sessions (company_id, agent_id, adapter_type, task_key, session_params_json, session_display_id, last_run_id, last_error)
       VALUES ($1, $2, $3, $4, $5::jsonb, left($6, 128), $7, $8)
       ON CONFLICT (company_id, agent_id, adapter_type, task_key) DO UPDATE SET session_params_json = EXCLUDED.session_params_json,
         session_display_id = EXCLUDED.session_display_id, last_run_id = EXCLUDED.last_run_id, last_error = EXCLUDED.last_error, updated_at = now()`,
      [
        agent.companyId,
        agent.id,
        agent.adapterType,
        taskKey,
        JSON.stringify(params),
        result.sessionDisplayId ?? result.sessionId ?? null,
        run.id,
        ctx.finalRun?.error ?? null,
      ],
    );
  },
};
