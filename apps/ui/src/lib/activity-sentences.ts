import { humanize } from "./status.js";

/**
 * Activity rows as sentences a person reads ("Margaret moved ACM-9 from In progress to Done").
 * Pure: the page turns the segments into links, the CSV and tests read the plain text. Built over the
 * action names the server writes (`issue.updated`, `agent.hire_approved`, …); an action this file
 * does not know still reads as "<actor> <verb> <entity>", never as a raw key.
 */

/** The fields of an activity row a sentence reads. */
export interface ActivityLike {
  actorType: string;
  actorId: string;
  action: string;
  entityType: string;
  entityId: string;
  agentId?: string | null;
  runId?: string | null;
  details: Record<string, unknown> | null;
}

export type RefKind = "issue" | "agent" | "run" | "approval" | "project" | "goal" | "routine";
/** Plain text, or a reference the page renders as a link. */
export type Segment = string | { ref: RefKind; id: string; label: string };

export interface SentenceContext {
  /** An agent's name, or null when the company no longer lists it. */
  agentName: (id: string) => string | null;
}

const str = (v: unknown): string | null => (typeof v === "string" && v.length > 0 ? v : null);
const quote = (v: string) => `“${v.length > 80 ? `${v.slice(0, 79)}…` : v}”`;
const money = (cents: number) => `$${(cents / 100).toFixed(2)}`;

function actorSegment(e: ActivityLike, ctx: SentenceContext): Segment {
  if (e.actorType === "agent") return { ref: "agent", id: e.actorId, label: ctx.agentName(e.actorId) ?? "An agent" };
  if (e.actorType === "user") return "The board";
  return "Staple";
}

function agentRef(id: unknown, ctx: SentenceContext, fallback = "an agent"): Segment {
  const agentId = str(id);
  if (!agentId) return fallback;
  return { ref: "agent", id: agentId, label: ctx.agentName(agentId) ?? fallback };
}

function issueRef(e: ActivityLike): Segment {
  return { ref: "issue", id: e.entityId, label: str(e.details?.identifier) ?? "an issue" };
}

/** The entity of the row as a reference (or words when it has no page). */
function entityRef(e: ActivityLike, ctx: SentenceContext): Segment {
  const d = e.details ?? {};
  switch (e.entityType) {
    case "issue":
      return issueRef(e);
    case "agent":
      return agentRef(e.entityId, ctx, str(d.name) ?? "an agent");
    case "heartbeat_run":
    case "run":
      return { ref: "run", id: e.entityId, label: `run ${e.entityId.slice(0, 8)}` };
    case "approval":
      return { ref: "approval", id: e.entityId, label: "an approval" };
    case "project":
      return { ref: "project", id: e.entityId, label: str(d.name) ? `project ${quote(str(d.name)!)}` : "a project" };
    case "goal":
      return { ref: "goal", id: e.entityId, label: str(d.title) ? `goal ${quote(str(d.title)!)}` : "a goal" };
    case "routine":
      return { ref: "routine", id: e.entityId, label: str(d.title) ? `routine ${quote(str(d.title)!)}` : "a routine" };
    case "company":
      return "the company";
    default:
      return `a ${humanize(e.entityType).toLowerCase()}`;
  }
}

interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

/** The recorded changes of an `issue.updated` row (`details.changes`, `details.blockers`). */
export function issueChanges(details: Record<string, unknown> | null): FieldChange[] {
  const out: FieldChange[] = [];
  const changes = details?.changes;
  if (changes && typeof changes === "object") {
    for (const [field, value] of Object.entries(changes as Record<string, unknown>)) {
      const c = value && typeof value === "object" ? (value as { from?: unknown; to?: unknown }) : {};
      out.push({ field, from: c.from ?? null, to: c.to ?? null });
    }
  }
  const blockers = details?.blockers as { added?: unknown[]; removed?: unknown[] } | undefined;
  if (blockers && (blockers.added?.length || blockers.removed?.length)) {
    out.push({ field: "blockers", from: blockers.removed?.length ?? 0, to: blockers.added?.length ?? 0 });
  }
  return out;
}

const FIELD_NAMES: Record<string, string> = {
  parentId: "parent",
  goalId: "goal",
  projectId: "project",
  projectWorkspaceId: "workspace",
  billingCode: "billing code",
  labelIds: "labels",
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * One change as a clause: `first` names the issue (the sentence's first clause), the others say
 * "it"/"its". Returns segments so the issue and agents stay links.
 */
function changeClause(c: FieldChange, issue: Segment, first: boolean, ctx: SentenceContext): Segment[] {
  const it: Segment = first ? issue : "it";
  const its = (noun: string): Segment[] => (first ? [`the ${noun} of `, issue] : [`its ${noun}`]);
  const val = (v: unknown) => humanize(String(v));
  switch (c.field) {
    case "status":
      return c.from ? ["moved ", it, ` from ${val(c.from)} to ${val(c.to)}`] : ["moved ", it, ` to ${val(c.to)}`];
    case "priority":
      return ["changed ", ...its("priority"), c.from ? ` from ${val(c.from)} to ${val(c.to)}` : ` to ${val(c.to)}`];
    case "assigneeAgentId":
      return c.to ? ["assigned ", it, " to ", agentRef(c.to, ctx)] : ["unassigned ", it];
    case "assigneeUserId":
      return c.to ? ["assigned ", it, " to a board member"] : ["unassigned ", it];
    case "title":
      return ["renamed ", it, ` to ${quote(String(c.to ?? ""))}`];
    case "description":
      return ["edited ", ...its("description")];
    case "hidden":
      return [c.to ? "hid " : "unhid ", it];
    case "blockers": {
      const added = Number(c.to) || 0;
      const removed = Number(c.from) || 0;
      const parts = [added ? `added ${plural(added, "blocker")}` : "", removed ? `removed ${plural(removed, "blocker")}` : ""].filter(
        Boolean,
      );
      return [`${parts.join(" and ")} ${first ? "on " : ""}`.trimEnd(), ...(first ? [" ", issue] : [])].filter((s) => s !== "");
    }
    default: {
      const name = FIELD_NAMES[c.field] ?? humanize(c.field.replace(/([a-z])([A-Z])/g, "$1 $2")).toLowerCase();
      if (c.field === "parentId" || c.field === "goalId" || c.field === "projectId") return [c.to ? "set " : "cleared ", ...its(name)];
      return ["changed ", ...its(name)];
    }
  }
}

/** "a", "a and b", "a, b and c" over clauses (arrays of segments). */
function joinClauses(clauses: Segment[][]): Segment[] {
  const out: Segment[] = [];
  clauses.forEach((clause, i) => {
    if (i > 0) out.push(i === clauses.length - 1 ? " and " : ", ");
    out.push(...clause);
  });
  return out;
}

function issueUpdated(e: ActivityLike, ctx: SentenceContext): Segment[] {
  const issue = issueRef(e);
  const changes = issueChanges(e.details);
  // The status change leads: it is what people scan for.
  changes.sort((a, b) => Number(b.field === "status") - Number(a.field === "status"));
  if (!changes.length) return ["updated ", issue];
  const clauses = changes.slice(0, 3).map((c, i) => changeClause(c, issue, i === 0, ctx));
  if (changes.length > 3) clauses.push([`changed ${plural(changes.length - 3, "other field")}`]);
  const out = joinClauses(clauses);
  if (e.details?.via === "comment_reopen") out.push(" by commenting");
  return out;
}

const INTERACTION_VERBS: Record<string, string> = {
  created: "asked for input on",
  answered: "answered a question on",
  accepted: "accepted a proposal on",
  rejected: "rejected a proposal on",
  cancelled: "cancelled a question on",
  withdrawn: "withdrew a question on",
  skipped: "skipped a question on",
  expired: "let a question expire on",
  item_verdicts_submitted: "submitted verdicts on",
};

const ISSUE_VERBS: Record<string, string> = {
  "issue.comment_added": "commented on",
  "issue.checked_out": "started work on",
  "issue.released": "released",
  "issue.checkout_lock_adopted": "took over the lock of",
  "issue.admin_force_release": "force-released",
  "issue.deleted": "deleted",
  "issue.document_created": "added a document to",
  "issue.document_updated": "edited a document of",
  "issue.document_deleted": "deleted a document of",
  "issue.attachment_added": "attached a file to",
  "issue.attachment_removed": "removed an attachment from",
  "issue.approval_linked": "linked an approval to",
  "issue.approval_unlinked": "unlinked an approval from",
  "issue.work_product_created": "recorded a work product on",
  "issue.work_products_recorded": "recorded work products on",
  "issue.tree_hold_created": "put a hold on the tree of",
  "issue.tree_hold_released": "lifted the hold on the tree of",
  "issue.tree_hold_run_interrupted": "interrupted a run under the hold on",
  "issue.tree_hold_wakeup_deferred": "deferred a wake under the hold on",
};

const ENTITY_VERBS: Record<string, string> = {
  "agent.paused": "paused",
  "agent.resumed": "resumed",
  "agent.terminated": "terminated",
  "agent.key_created": "created an API key for",
  "agent.key_revoked": "revoked an API key of",
  "project.created": "created",
  "project.deleted": "deleted",
  "project.workspace_created": "added a workspace to",
  "project.workspace_updated": "changed a workspace of",
  "project.workspace_deleted": "removed a workspace from",
  "goal.created": "created",
  "goal.updated": "updated",
  "goal.deleted": "deleted",
  "routine.created": "created",
  "routine.updated": "updated",
  "routine.trigger_created": "added a trigger to",
  "routine.trigger_updated": "changed a trigger of",
  "routine.trigger_deleted": "removed a trigger from",
  "routine.trigger_secret_rotated": "rotated a trigger secret of",
  "heartbeat.invoked": "woke",
};

const PLAIN: Record<string, string> = {
  "company.created": "created the company",
  "company.updated": "changed the company settings",
  "company.archived": "archived the company",
  "company.imported": "imported the company",
  "company.wake_breakers_updated": "changed the wake breakers",
  "budget.policy_created": "set a budget",
  "budget.incident_resolved": "raised a budget limit",
  "budget.incident_dismissed": "kept a budget limit",
  "board_api_key.created": "created a board API key",
  "board_api_key.revoked": "revoked a board API key",
  "invite.created": "invited a member",
  "invite.revoked": "revoked an invite",
  "invite.accepted": "accepted an invite",
  "join_request.created": "asked to join",
  "join_request.approved": "approved a join request",
  "join_request.rejected": "rejected a join request",
  "member.removed": "removed a member",
  "environment.lease_acquired": "took an environment lease",
  "environment.lease_released": "released an environment lease",
  "execution_workspace.created": "opened an execution workspace",
  "execution_workspace.closed": "closed an execution workspace",
};

function body(e: ActivityLike, ctx: SentenceContext): Segment[] {
  const d = e.details ?? {};
  const a = e.action;
  if (a === "issue.updated") return issueUpdated(e, ctx);
  if (a === "issue.created") return ["created ", issueRef(e), ...(str(d.title) ? [` ${quote(str(d.title)!)}`] : [])];
  if (a.startsWith("issue.thread_interaction_")) {
    const verb = INTERACTION_VERBS[a.slice("issue.thread_interaction_".length)];
    return [`${verb ?? "changed a question card on"} `, issueRef(e)];
  }
  if (ISSUE_VERBS[a]) return [`${ISSUE_VERBS[a]} `, issueRef(e)];
  if (a === "issue.inbox_archived") return ["archived ", issueRef(e), " from the inbox"];
  if (a === "issue.inbox_unarchived") return ["brought ", issueRef(e), " back to the inbox"];
  if (a === "agent.created") return [d.status === "pending_approval" ? "asked to hire " : "hired ", entityRef(e, ctx)];
  if (a === "agent.hire_approved") return ["approved hiring ", entityRef(e, ctx)];
  if (a === "agent.updated") {
    const fields = Array.isArray(d.changedFields) ? (d.changedFields as string[]) : [];
    return [
      "changed ",
      fields.length
        ? `${fields.map((f) => humanize(f.replace(/([a-z])([A-Z])/g, "$1 $2")).toLowerCase()).join(", ")} of `
        : "the settings of ",
      entityRef(e, ctx),
    ];
  }
  if (a === "agent.loop_breaker_tripped") return ["stopped a wake loop of ", entityRef(e, ctx)];
  if (a === "agent.quota_hold_recorded") return ["held ", entityRef(e, ctx), " until its provider quota resets"];
  if (a === "project.updated") {
    const fields = Array.isArray(d.changedFields) ? (d.changedFields as string[]) : [];
    return [
      "changed ",
      fields.length ? `${fields.map((f) => humanize(f.replace(/([a-z])([A-Z])/g, "$1 $2")).toLowerCase()).join(", ")} of ` : "",
      entityRef(e, ctx),
    ];
  }
  if (ENTITY_VERBS[a]) return [`${ENTITY_VERBS[a]} `, entityRef(e, ctx)];
  if (a === "heartbeat.cancelled")
    return ["cancelled ", e.entityType === "heartbeat_run" || e.entityType === "run" ? entityRef(e, ctx) : "a run"];
  if (a === "approval.created") return [`asked for approval: ${humanize(String(d.type ?? "request")).toLowerCase()}`];
  if (a === "approval.approved" || a === "approval.rejected" || a === "approval.revision_requested") {
    const what = humanize(String(d.type ?? "request")).toLowerCase();
    const verb = a === "approval.approved" ? "approved" : a === "approval.rejected" ? "rejected" : "asked for changes to";
    return [`${verb} a request (${what}) — `, entityRef(e, ctx)];
  }
  if (a === "approval.resubmitted") return ["resubmitted ", entityRef(e, ctx)];
  if (a === "approval.comment_added") return ["commented on ", entityRef(e, ctx)];
  if (a === "cost.reported") {
    const cents = typeof d.costCents === "number" ? d.costCents : null;
    return [cents !== null ? `reported a cost of ${money(cents)} for ` : "reported a cost for ", agentRef(d.agentId ?? e.agentId, ctx)];
  }
  if (a === "budget.hard_stop") return ["paused work at a budget limit"];
  if (a === "member.role_changed")
    return [`changed a member's role from ${humanize(String(d.from ?? "?"))} to ${humanize(String(d.to ?? "?"))}`];
  if (a.startsWith("secret.")) {
    const name = str(d.name) ?? str(d.key);
    const verb = a === "secret.read" ? "read" : humanize(a.slice("secret.".length)).toLowerCase();
    return [`${verb} secret${name ? ` ${quote(name)}` : ""}`];
  }
  if (a.startsWith("label.")) {
    const name = str(d.name);
    return [`${humanize(a.slice("label.".length)).toLowerCase()} label${name ? ` ${quote(name)}` : ""}`];
  }
  if (a === "routine.run_triggered") return ["ran ", { ref: "routine", id: str(d.routineId) ?? e.entityId, label: "a routine" }];
  if (PLAIN[a]) return [PLAIN[a]];
  // Unknown or bare actions ("pause", "claim"): the verb, then what it was about.
  const verb = humanize((a.includes(".") ? a.slice(a.indexOf(".") + 1) : a).replace(/\./g, " ")).toLowerCase();
  return [`${verb} `, entityRef(e, ctx)];
}

/** The sentence of one row: the actor, then what it did. */
export function activitySentence(e: ActivityLike, ctx: SentenceContext): Segment[] {
  const out: Segment[] = [actorSegment(e, ctx), " ", ...body(e, ctx)];
  // Merge adjacent strings so tests and screen readers see whole words.
  const merged: Segment[] = [];
  for (const s of out) {
    const last = merged[merged.length - 1];
    if (typeof s === "string" && typeof last === "string") merged[merged.length - 1] = last + s;
    else if (s !== "") merged.push(s);
  }
  return merged;
}

export function sentenceText(segments: readonly Segment[]): string {
  return segments.map((s) => (typeof s === "string" ? s : s.label)).join("");
}
