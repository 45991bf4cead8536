import { EXECUTION_PATH_RUN_STATUSES, RUN_STATUSES, RUN_TRANSITIONS, TERMINAL_RUN_STATUSES, type RunStatus } from "@staple/contracts";
import { sqlList } from "../db/sql-list.js";

/**
 * The run state machine (RUN_TRANSITIONS) and its state sets live in @staple/contracts; this file
 * re-exports them for the engine. Every status write goes through `transition.ts`, which refuses
 * any edge the table does not list.
 */
export { EXECUTION_PATH_RUN_STATUSES, RUN_STATUSES, RUN_TRANSITIONS, TERMINAL_RUN_STATUSES, type RunStatus };

export const isTerminalRunStatus = (status: string): boolean => (TERMINAL_RUN_STATUSES as readonly string[]).includes(status);
export const isExecutionPathStatus = (status: string): boolean => (EXECUTION_PATH_RUN_STATUSES as readonly string[]).includes(status);

/** The execution path as a SQL list, rendered from the constant. */
export const EXECUTION_PATH_SQL = sqlList(EXECUTION_PATH_RUN_STATUSES);
