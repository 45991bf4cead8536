import { INITIAL_RUN_STATUSES, RUN_STATUSES, RUN_TRANSITIONS, TERMINAL_RUN_STATUSES, type RunStatus } from "@staple/contracts";
import type { Queryable } from "../db/database.js";
import { sqlList, sqlLiteral } from "../db/sql-list.js";

/**
 * The only writer of `heartbeat_runs.status`. Every status change is a guarded UPDATE built here:
 * `SET status = '<to>' … WHERE <row> AND status IN (<from>)`, and building one for an edge that is
 * not in RUN_TRANSITIONS (packages/contracts/src/enums.ts) throws before any SQL runs. A transition
 * that lost a race matches no row and changes nothing. New runs are inserted in an initial state
 * (INITIAL_RUN_STATUSES) through `runInsertSql`.
 *
 * The builders return SQL text, not a round trip: callers embed them in the statements (and CTEs)
 * they already run, so the number of statements per run is unchanged. `test/runs-transition.test.ts`
 * fails if another file writes the column.
 */

export class IllegalRunTransition extends Error {
  constructor(from: string, to: string) {
    super(`Run transition ${from} -> ${to} is not an edge of the run state machine`);
    this.name = "IllegalRunTransition";
  }
}

const isRunStatus = (s: string): s is RunStatus => (RUN_STATUSES as readonly string[]).includes(s);

/** Whether `from -> to` is an edge of RUN_TRANSITIONS. */
export function isRunTransition(from: string, to: string): boolean {
  return isRunStatus(from) && isRunStatus(to) && RUN_TRANSITIONS[from].includes(to);
}

/** Throws IllegalRunTransition unless every `from -> to` pair is an edge (and `from` is not empty). */
export function assertRunTransition(from: readonly string[], to: string): void {
  if (from.length === 0) throw new IllegalRunTransition("(nothing)", to);
  for (const f of from) if (!isRunTransition(f, to)) throw new IllegalRunTransition(f, to);
}

/** A guarded status change; the other parts are SQL text over the caller's parameters. */
export interface RunTransition {
  /** States the run may leave; each `from -> to` must be an edge. */
  from: readonly RunStatus[];
  to: RunStatus;
  /** Further assignments after the status (never `status` itself). */
  set?: string;
  /** Row selector. Default `id = $1`; set-based updates pass `id = ANY($1::uuid[])`. */
  target?: string;
  /** Further conditions ANDed to the guard. */
  where?: string;
  /** Table alias (`UPDATE heartbeat_runs r`), for `from` clauses and qualified columns. */
  alias?: string;
  /** A `FROM` list joined to the update (e.g. a CTE that locked the row first). */
  using?: string;
  returning?: string;
}

const ASSIGNS_STATUS = /(^|[\s,(])(\w+\.)?status\s*=/;

/** The guarded `UPDATE heartbeat_runs …` text for one transition (throws on an illegal edge). */
export function runTransitionSql(t: RunTransition): string {
  assertRunTransition(t.from, t.to);
  if (t.set && ASSIGNS_STATUS.test(t.set)) throw new Error("runTransitionSql: `set` may not assign status; pass `to`");
  const a = t.alias ? `${t.alias}.` : "";
  const sets = [`status = ${sqlLiteral(t.to)}`, ...(t.set ? [t.set] : [])].join(", ");
  const where = [t.target ?? `${a}id = $1`, `${a}status IN ${sqlList(Object.freeze([...t.from]))}`, ...(t.where ? [t.where] : [])].join(
    " AND ",
  );
  return `UPDATE heartbeat_runs${t.alias ? ` ${t.alias}` : ""} SET ${sets}${t.using ? ` FROM ${t.using}` : ""} WHERE ${where}${t.returning ? ` RETURNING ${t.returning}` : ""}`;
}

/**
 * Runs one guarded transition of `runId` ($1; the caller's parameters follow from $2). Returns the
 * RETURNING rows: empty when the run was not in a `from` state (the transition lost a race).
 */
export async function transitionRun<T = { id: string }>(
  q: Queryable,
  runId: string,
  t: Omit<RunTransition, "target">,
  params: readonly unknown[] = [],
): Promise<T[]> {
  return q.query<T>(runTransitionSql({ returning: "id", ...t }), [runId, ...params]);
}

/** Set-based variant: the same guarded transition for every run in `runIds` ($1), in one statement. */
export async function transitionRuns<T = { id: string }>(
  q: Queryable,
  runIds: readonly string[],
  t: Omit<RunTransition, "target" | "alias" | "using">,
  params: readonly unknown[] = [],
): Promise<T[]> {
  return q.query<T>(runTransitionSql({ returning: "id", ...t, target: "id = ANY($1::uuid[])" }), [runIds, ...params]);
}

/**
 * Imported history (a company brought over from another installation): a run that already ended
 * elsewhere is written once, directly in its terminal status; it never runs here, so no transition
 * applies. Anything but a terminal status is refused: a live run cannot be imported.
 */
export function importedRunInsertSql(status: string, columns: readonly string[], values: readonly string[], returning?: string): string {
  if (!(TERMINAL_RUN_STATUSES as readonly string[]).includes(status)) throw new IllegalRunTransition("(imported run)", status);
  if (columns.length !== values.length) throw new Error("importedRunInsertSql: one value per column");
  if (columns.includes("status")) throw new Error("importedRunInsertSql: pass the status as `status`");
  return `INSERT INTO heartbeat_runs (status, ${columns.join(", ")}) VALUES (${sqlLiteral(status)}, ${values.join(", ")})${returning ? ` RETURNING ${returning}` : ""}`;
}

/**
 * `INSERT INTO heartbeat_runs (status, …columns) VALUES ('<initial>', …values)`: a run is born
 * queued or scheduled_retry, nothing else. `values` are SQL expressions over the caller's parameters.
 */
export function runInsertSql(initial: RunStatus, columns: readonly string[], values: readonly string[], returning?: string): string {
  if (!(INITIAL_RUN_STATUSES as readonly string[]).includes(initial)) throw new IllegalRunTransition("(new run)", initial);
  if (columns.length !== values.length) throw new Error("runInsertSql: one value per column");
  if (columns.includes("status")) throw new Error("runInsertSql: pass the status as `initial`");
  return `INSERT INTO heartbeat_runs (status, ${columns.join(", ")}) VALUES (${sqlLiteral(initial)}, ${values.join(", ")})${returning ? ` RETURNING ${returning}` : ""}`;
}
