import {
  CLOSED_ISSUE_STATUSES,
  EXECUTION_PATH_RUN_STATUSES,
  NON_INVOKABLE_AGENT_STATUSES,
  RESOLVED_BLOCKER_STATUS,
} from "@staple/contracts";
import { sqlList, sqlLiteral } from "./sql-list.js";

/**
 * SQL predicates shared by several modules, declared once and built from the contracts' state
 * sets. Each takes the table alias it applies to (`""` for an unqualified table).
 */
const col = (alias: string, column: string) => (alias ? `${alias}.${column}` : column);

/** The run is on the execution path (queued, scheduled_retry or running): it may still work and hold a lock. */
export const liveRunSql = (run = ""): string => `${col(run, "status")} IN ${sqlList(EXECUTION_PATH_RUN_STATUSES)}`;

/** The agent may be woken, claimed and authenticated as. */
export const invokableAgentSql = (agent = ""): string => `${col(agent, "status")} NOT IN ${sqlList(NON_INVOKABLE_AGENT_STATUSES)}`;

/** The issue is closed (done or cancelled). */
export const closedIssueSql = (issue = ""): string => `${col(issue, "status")} IN ${sqlList(CLOSED_ISSUE_STATUSES)}`;

/** The issue is open (neither done nor cancelled). */
export const openIssueSql = (issue = ""): string => `${col(issue, "status")} NOT IN ${sqlList(CLOSED_ISSUE_STATUSES)}`;

/**
 * `rel` (an issue_relations row) is a `blocks` relation whose blocker `blocker` is not resolved:
 * only `done` resolves a blocker; a cancelled blocker still blocks.
 */
export const openBlockerSql = (rel: string, blocker: string): string =>
  `${rel}.type = 'blocks' AND ${blocker}.status <> ${sqlLiteral(RESOLVED_BLOCKER_STATUS)}`;

/** `rel` is a `blocks` relation whose blocker `blocker` is resolved (done). */
export const resolvedBlockerSql = (rel: string, blocker: string): string =>
  `${rel}.type = 'blocks' AND ${blocker}.status = ${sqlLiteral(RESOLVED_BLOCKER_STATUS)}`;

/** Ids of the open blockers of the issue `issueExpr` (a parameter or a column): a subquery body. */
export const openBlockerIdsSql = (issueExpr: string): string =>
  `SELECT b.id FROM issue_relations rel JOIN issues b ON b.id = rel.issue_id
    WHERE rel.related_issue_id = ${issueExpr} AND ${openBlockerSql("rel", "b")}`;
