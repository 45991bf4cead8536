import type { ActivityEntry, Comment, Interaction, IssueRun } from "../api/types.js";
import { humanize } from "./status.js";

/**
 * The issue page's one conversation: comments, interaction cards, runs and the changes worth a
 * line (status, assignee, priority, title, project, goal, parent, blockers), oldest first. Other
 * activity (checkouts, lock adoption, document saves) is left out: the page shows those elsewhere
 * or they are bookkeeping. Ties keep a stable order: events, then comments and cards, then runs.
 */
export type TimelineEntry =
  | { kind: "comment"; at: string; key: string; comment: Comment }
  | { kind: "interaction"; at: string; key: string; interaction: Interaction }
  | { kind: "run"; at: string; key: string; run: IssueRun }
  | { kind: "event"; at: string; key: string; event: ActivityEntry; changes: FieldChange[] };

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** Fields whose change earns a line in the conversation. */
const SHOWN_FIELDS = ["status", "assigneeAgentId", "priority", "title", "projectId", "goalId", "parentId"] as const;
const RANK: Record<TimelineEntry["kind"], number> = { event: 0, comment: 1, interaction: 1, run: 2 };

export function changesOf(e: ActivityEntry): FieldChange[] {
  const changes = e.details?.changes;
  if (!changes || typeof changes !== "object") return [];
  const out: FieldChange[] = [];
  for (const field of SHOWN_FIELDS) {
    const c = (changes as Record<string, unknown>)[field];
    if (c && typeof c === "object" && "to" in c)
      out.push({ field, from: (c as { from?: unknown }).from ?? null, to: (c as { to: unknown }).to });
  }
  return out;
}

export function buildTimeline(input: {
  comments: readonly Comment[];
  interactions: readonly Interaction[];
  runs: readonly IssueRun[];
  activity: readonly ActivityEntry[];
}): TimelineEntry[] {
  const entries: TimelineEntry[] = [
    ...input.comments.map((comment) => ({ kind: "comment" as const, at: comment.createdAt, key: `c:${comment.id}`, comment })),
    ...input.interactions.map((interaction) => ({
      kind: "interaction" as const,
      at: interaction.createdAt,
      key: `i:${interaction.id}`,
      interaction,
    })),
    ...input.runs.map((run) => ({ kind: "run" as const, at: run.createdAt, key: `r:${run.runId}`, run })),
  ];
  for (const event of input.activity) {
    if (event.action === "issue.created") {
      entries.push({ kind: "event", at: event.createdAt, key: `a:${event.id}`, event, changes: [] });
      continue;
    }
    if (event.action !== "issue.updated") continue;
    const changes = changesOf(event);
    if (changes.length) entries.push({ kind: "event", at: event.createdAt, key: `a:${event.id}`, event, changes });
  }
  return (
    entries
      // The issue's creation opens the conversation even when its first run was recorded a moment earlier.
      .map((e, i) => ({ e, i, t: e.kind === "event" && e.event.action === "issue.created" ? Number.NEGATIVE_INFINITY : Date.parse(e.at) }))
      .sort((a, b) => a.t - b.t || RANK[a.e.kind] - RANK[b.e.kind] || a.i - b.i)
      .map(({ e }) => e)
  );
}

/** A change as words: "moved it from Todo to In progress", "assigned it to Margaret". */
export function describeChange(
  c: FieldChange,
  names: { agent: (id: string | null) => string; project: (id: string | null) => string; goal: (id: string | null) => string },
): string {
  const str = (v: unknown) => (typeof v === "string" ? v : null);
  switch (c.field) {
    case "status":
      return `moved it from ${humanize(str(c.from) ?? "none")} to ${humanize(str(c.to) ?? "none")}`;
    case "priority":
      return `set priority ${humanize(str(c.to) ?? "none")}`;
    case "assigneeAgentId":
      return str(c.to) ? `assigned it to ${names.agent(str(c.to))}` : "unassigned it";
    case "title":
      return `renamed it to “${str(c.to) ?? ""}”`;
    case "projectId":
      return str(c.to) ? `moved it to project ${names.project(str(c.to))}` : "removed it from its project";
    case "goalId":
      return str(c.to) ? `linked it to goal ${names.goal(str(c.to))}` : "unlinked its goal";
    case "parentId":
      return str(c.to) ? "made it a sub-issue" : "made it a top-level issue";
    default:
      return `changed ${humanize(c.field)}`;
  }
}
