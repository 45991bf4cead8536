import { AGENT_STATUSES, CLOSED_ISSUE_STATUSES, EXECUTION_PATH_RUN_STATUSES, ISSUE_STATUSES } from "@staple/contracts";
import type { AgentStatus, IssueStatus, RunStatus } from "../api/types.js";

/** Board columns, in working order (the status set comes from packages/contracts). */
export const BOARD_COLUMNS: readonly IssueStatus[] = ["backlog", "todo", "in_progress", "in_review", "blocked", "done", "cancelled"].filter(
  (s) => (ISSUE_STATUSES as readonly string[]).includes(s),
) as IssueStatus[];
export const ALL_ISSUE_STATUSES: readonly IssueStatus[] = ISSUE_STATUSES;
export const ALL_AGENT_STATUSES: readonly AgentStatus[] = AGENT_STATUSES;
/** Statuses a board usually wants to see: everything not finished. */
export const OPEN_ISSUE_STATUSES: readonly IssueStatus[] = ISSUE_STATUSES.filter(
  (s) => !(CLOSED_ISSUE_STATUSES as readonly string[]).includes(s),
);

export const LIVE_RUN_STATUSES: readonly string[] = EXECUTION_PATH_RUN_STATUSES;
export function isLiveRun(status: string): boolean {
  return LIVE_RUN_STATUSES.includes(status);
}

export function humanize(value: string): string {
  const text = value.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A colour family per status, for badges: good, bad, busy, waiting, neutral. */
export function statusTone(status: string): "good" | "bad" | "busy" | "wait" | "neutral" {
  switch (status) {
    case "succeeded":
    case "done":
    case "active":
    case "idle":
      return "good";
    case "failed":
    case "error":
    case "timed_out":
    case "blocked":
    case "terminated":
      return "bad";
    case "running":
    case "in_progress":
      return "busy";
    case "queued":
    case "scheduled_retry":
    case "paused":
    case "pending_approval":
    case "in_review":
    case "todo":
      return "wait";
    default:
      return "neutral";
  }
}

/** Groups items by status into the given columns (order kept; unknown statuses go last). */
export function groupByStatus<T extends { status: string }>(
  items: readonly T[],
  columns: readonly string[],
): { status: string; items: T[] }[] {
  const groups = new Map<string, T[]>(columns.map((c) => [c, []]));
  for (const item of items) {
    let list = groups.get(item.status);
    if (!list) groups.set(item.status, (list = []));
    list.push(item);
  }
  return [...groups].map(([status, list]) => ({ status, items: list }));
}

/** Counts by status, e.g. for the dashboard: `{running: 2, idle: 1}`. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

export type { RunStatus };
