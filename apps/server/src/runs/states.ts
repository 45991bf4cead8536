import { EXECUTION_PATH_RUN_STATUSES, RUN_STATUSES, TERMINAL_RUN_STATUSES, type RunStatus } from "@staple/contracts";

export { EXECUTION_PATH_RUN_STATUSES, RUN_STATUSES, TERMINAL_RUN_STATUSES, type RunStatus };

/**
 * The run state machine. Every status change is a guarded UPDATE whose WHERE clause names one of
 * the `from` states listed here, so a transition that lost a race changes nothing.
 *
 *   queued ──claim──▶ running ──finish──▶ succeeded | failed | timed_out
 *     │                  │
 *     └──cancel──▶ cancelled ◀──cancel──┘
 *   scheduled_retry ──promote──▶ queued          scheduled_retry ──cancel──▶ cancelled
 */
export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = Object.freeze({
  queued: ["running", "cancelled"],
  scheduled_retry: ["queued", "cancelled"],
  running: ["succeeded", "failed", "cancelled", "timed_out"],
  succeeded: [],
  failed: [],
  cancelled: [],
  timed_out: [],
});

export const isTerminalRunStatus = (status: string): boolean => (TERMINAL_RUN_STATUSES as readonly string[]).includes(status);
export const isExecutionPathStatus = (status: string): boolean => (EXECUTION_PATH_RUN_STATUSES as readonly string[]).includes(status);

/** `('queued', 'scheduled_retry', 'running')` for SQL text built from the constant. */
export const sqlList = (values: readonly string[]) => `(${values.map((v) => `'${v}'`).join(", ")})`;
export const EXECUTION_PATH_SQL = sqlList(EXECUTION_PATH_RUN_STATUSES);
export const TERMINAL_SQL = sqlList(TERMINAL_RUN_STATUSES);

/** Statuses a cancel may leave (the cancellable set equals the execution path). */
export const CANCELLABLE_SQL = EXECUTION_PATH_SQL;
