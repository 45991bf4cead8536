/**
 * Every state set and enumerated value of the domain, declared once.
 *
 * Invariant: each constant here is mirrored by a CHECK constraint in the server's migrations, and
 * `apps/server/test/schema.test.ts` fails when the two drift apart. Code never repeats these
 * literals as ad-hoc lists: it imports the constant (or a subset declared next to it).
 */

function frozen<const T extends readonly string[]>(values: T): T {
  return Object.freeze(values) as T;
}

export const DEPLOYMENT_MODES = frozen(["local_trusted", "authenticated"]);
export type DeploymentMode = (typeof DEPLOYMENT_MODES)[number];

export const COMPANY_STATUSES = frozen(["active", "paused", "archived"]);
export type CompanyStatus = (typeof COMPANY_STATUSES)[number];

export const PAUSE_REASONS = frozen(["manual", "budget", "system", "company_archived"]);
export type PauseReason = (typeof PAUSE_REASONS)[number];

export const AGENT_ROLES = frozen([
  "ceo",
  "cto",
  "cmo",
  "cfo",
  "security",
  "engineer",
  "designer",
  "pm",
  "qa",
  "devops",
  "researcher",
  "general",
]);
export type AgentRole = (typeof AGENT_ROLES)[number];

export const AGENT_STATUSES = frozen(["active", "paused", "idle", "running", "error", "pending_approval", "terminated"]);
export type AgentStatus = (typeof AGENT_STATUSES)[number];
/** Agents in these states may not be woken, claimed or authenticated as. */
export const NON_INVOKABLE_AGENT_STATUSES = frozen(["paused", "terminated", "pending_approval"]);
/** The complement of NON_INVOKABLE_AGENT_STATUSES: agents that may be woken and claimed. */
export const INVOKABLE_AGENT_STATUSES = frozen(["active", "idle", "running", "error"]);
/** Invokable agents with no run executing: a claim moves these (and only these) to `running`. */
export const WAITING_AGENT_STATUSES = frozen(["active", "idle", "error"]);
/** Agents stopped by the board or a budget: a pause leaves them as they are. */
export const STOPPED_AGENT_STATUSES = frozen(["paused", "terminated"]);

export const ADAPTER_TYPES = frozen([
  "process",
  "http",
  "claude_local",
  "codex_local",
  "gemini_local",
  "opencode_local",
  "cursor",
  "acp_local",
]);
export type AdapterType = (typeof ADAPTER_TYPES)[number];

export const ISSUE_STATUSES = frozen(["backlog", "todo", "in_progress", "in_review", "done", "blocked", "cancelled"]);
export type IssueStatus = (typeof ISSUE_STATUSES)[number];
/** Statuses in which an issue is finished; blockers in `done` are resolved, `cancelled` ones are not. */
export const CLOSED_ISSUE_STATUSES = frozen(["done", "cancelled"]);
/** The one status that resolves a blocker (a cancelled blocker still blocks). */
export const RESOLVED_BLOCKER_STATUS = "done" as const satisfies IssueStatus;
/** An assignee is not woken for an issue in these (not started yet, or closed). */
export const DORMANT_ISSUE_STATUSES = frozen(["backlog", "done", "cancelled"]);
/** Assigned work the agent is expected to carry on: stranded-work recovery and continuations watch these. */
export const ACTIVE_WORK_ISSUE_STATUSES = frozen(["todo", "in_progress"]);
/** Statuses a harness checkout moves to in_progress (the assignee's run takes the issue). */
export const CHECKOUT_FROM_ISSUE_STATUSES = frozen(["backlog", "todo", "blocked"]);
/** Statuses in which a run's harness checks its issue out (CHECKOUT_FROM_ISSUE_STATUSES, or already in progress). */
export const HARNESS_CHECKOUT_ISSUE_STATUSES = frozen(["backlog", "todo", "blocked", "in_progress"]);
/** An unassigned blocker in these is given to its creator (orphan-blocker recovery). */
export const ORPHAN_BLOCKER_ISSUE_STATUSES = frozen(["todo", "blocked"]);
/** The agent's compact inbox: work it can pick up or must unblock. */
export const INBOX_LITE_ISSUE_STATUSES = frozen(["todo", "in_progress", "blocked"]);
/** A move into one of these after a user archived the issue puts it back in the user's inbox. */
export const INBOX_RESURFACING_ISSUE_STATUSES = frozen(["in_review", "blocked", "done"]);

export const ISSUE_PRIORITIES = frozen(["critical", "high", "medium", "low"]);
export type IssuePriority = (typeof ISSUE_PRIORITIES)[number];

export const ISSUE_WORK_MODES = frozen(["standard"]);

export const ISSUE_ORIGIN_KINDS = frozen(["manual", "routine_execution", "stranded_issue_recovery"]);
export type IssueOriginKind = (typeof ISSUE_ORIGIN_KINDS)[number];

export const ISSUE_RELATION_TYPES = frozen(["blocks"]);

export const ACTOR_TYPES = frozen(["user", "agent", "system"]);
export type ActorType = (typeof ACTOR_TYPES)[number];

export const GOAL_LEVELS = frozen(["company", "team", "agent", "task"]);
export const GOAL_STATUSES = frozen(["planned", "active", "achieved", "cancelled"]);
export const PROJECT_STATUSES = frozen(["backlog", "planned", "in_progress", "completed", "cancelled"]);

export const DOCUMENT_FORMATS = frozen(["markdown"]);
/** Reserved issue document keys: `plan` is the agent's plan, `continuation-summary` a system summary. */
export const RESERVED_DOCUMENT_KEYS = frozen(["plan", "continuation-summary"]);
export const PLAN_DOCUMENT_KEY = RESERVED_DOCUMENT_KEYS[0];
export const CONTINUATION_SUMMARY_DOCUMENT_KEY = RESERVED_DOCUMENT_KEYS[1];

export const WORK_PRODUCT_TYPES = frozen(["preview_url", "runtime_service", "pull_request", "branch", "commit", "artifact", "document"]);
export const WORK_PRODUCT_STATUSES = frozen([
  "active",
  "ready_for_review",
  "approved",
  "changes_requested",
  "merged",
  "closed",
  "failed",
  "archived",
  "draft",
]);

export const WAKE_SOURCES = frozen(["timer", "assignment", "on_demand", "automation"]);
export type WakeSource = (typeof WAKE_SOURCES)[number];
export const WAKE_TRIGGER_DETAILS = frozen(["manual", "ping", "callback", "system"]);
export type WakeTriggerDetail = (typeof WAKE_TRIGGER_DETAILS)[number];

export const WAKEUP_STATUSES = frozen([
  "queued",
  "deferred_issue_execution",
  "claimed",
  "coalesced",
  "skipped",
  "completed",
  "failed",
  "cancelled",
  "timed_out",
]);
export type WakeupStatus = (typeof WAKEUP_STATUSES)[number];
/** Wakes that have not become a run yet (no run id): cancelled with their agent or issue scope. */
export const UNCLAIMED_WAKEUP_STATUSES = frozen(["queued", "deferred_issue_execution"]);
/** Wakes that are finished: a later cancel of their run leaves them as they are. */
export const FINISHED_WAKEUP_STATUSES = frozen(["completed", "failed", "cancelled", "skipped", "timed_out"]);

/**
 * Heartbeat run states. `queued`, `scheduled_retry` and `running` are the execution path (the run
 * may still do work and may hold an issue's execution lock); the other four are terminal.
 */
export const RUN_STATUSES = frozen(["queued", "scheduled_retry", "running", "succeeded", "failed", "cancelled", "timed_out"]);
export type RunStatus = (typeof RUN_STATUSES)[number];
export const EXECUTION_PATH_RUN_STATUSES = frozen(["queued", "scheduled_retry", "running"]);
export const TERMINAL_RUN_STATUSES = frozen(["succeeded", "failed", "cancelled", "timed_out"]);
/** States a run is created in: queued (a wake), or scheduled_retry (a bounded retry not yet due). */
export const INITIAL_RUN_STATUSES = frozen(["queued", "scheduled_retry"]);
/** Runs reported as an issue's active run (a scheduled retry is not active until it is due). */
export const ACTIVE_RUN_STATUSES = frozen(["queued", "running"]);
/** Terminal states of a run that did not succeed. */
export const UNSUCCESSFUL_RUN_STATUSES = frozen(["failed", "cancelled", "timed_out"]);
/** Terminal states that leave the agent in `error` (a failure); the other terminal states leave it idle. */
export const FAILED_RUN_STATUSES = frozen(["failed", "timed_out"]);
/** Terminal states that leave the agent `idle`. */
export const CLEAN_END_RUN_STATUSES = frozen(["succeeded", "cancelled"]);

/**
 * The run state machine: the only edges a run's status may take. Every status write is a guarded
 * UPDATE naming its `from` states, and the server refuses to build one for an edge not listed here.
 *
 *   queued ──claim──▶ running ──finish──▶ succeeded | failed | timed_out
 *     │                  │
 *     └──cancel──▶ cancelled ◀──cancel──┘
 *   scheduled_retry ──promote──▶ queued          scheduled_retry ──cancel──▶ cancelled
 */
export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = Object.freeze({
  queued: frozen(["running", "cancelled"]),
  scheduled_retry: frozen(["queued", "cancelled"]),
  running: frozen(["succeeded", "failed", "cancelled", "timed_out"]),
  succeeded: frozen([]),
  failed: frozen([]),
  cancelled: frozen([]),
  timed_out: frozen([]),
});

export const RUN_LIVENESS_STATES = frozen(["completed", "advanced", "plan_only", "empty_response", "blocked", "failed", "needs_followup"]);

export const ISSUE_COMMENT_STATUSES = frozen(["not_applicable", "satisfied", "retry_queued", "retry_exhausted"]);

export const RUN_EVENT_STREAMS = frozen(["system", "stdout", "stderr"]);
export const RUN_EVENT_LEVELS = frozen(["info", "warn", "error"]);

export const BILLING_TYPES = frozen(["metered_api", "subscription_included", "subscription_overage", "credits", "fixed", "unknown"]);
export type BillingType = (typeof BILLING_TYPES)[number];

/** Wake reasons of comment interactions: these may reach an agent even on a blocked or held issue. */
export const INTERACTION_WAKE_REASONS = frozen(["issue_commented", "issue_reopened_via_comment", "issue_comment_mentioned"]);

export const TREE_HOLD_MODES = frozen(["pause", "resume", "cancel", "restore"]);
export const TREE_HOLD_STATUSES = frozen(["active", "released"]);
export const APPROVAL_TYPES = frozen(["hire_agent", "approve_ceo_strategy", "budget_override_required", "request_board_approval"]);
export const APPROVAL_STATUSES = frozen(["pending", "revision_requested", "approved", "rejected", "cancelled"]);
/** Approvals still awaiting a decision: approve and reject may leave both. */
export const OPEN_APPROVAL_STATUSES = frozen(["pending", "revision_requested"]);
export const BUDGET_SCOPE_TYPES = frozen(["company", "agent", "project"]);
export const BUDGET_METRICS = frozen(["billed_cents"]);
export const BUDGET_WINDOW_KINDS = frozen(["calendar_month_utc", "lifetime"]);
export const BUDGET_THRESHOLD_TYPES = frozen(["soft", "hard"]);
export const BUDGET_INCIDENT_STATUSES = frozen(["open", "resolved", "dismissed"]);
export const ENVIRONMENT_DRIVERS = frozen(["local", "ssh", "sandbox", "plugin"]);
export const ENVIRONMENT_STATUSES = frozen(["active", "archived"]);
export const ENVIRONMENT_LEASE_STATUSES = frozen(["active", "released", "expired", "failed", "retained", "pending_cleanup"]);
/** Join requests of a company (migration 0016). */
export const JOIN_REQUEST_STATUSES = frozen(["pending", "approved", "rejected"]);
/** CLI sign-in challenges as stored (an expired one is reported as `expired`, never stored so). */
export const CLI_AUTH_CHALLENGE_STATUSES = frozen(["pending", "approved", "cancelled"]);
/** How a provider quota hold recognises a shared credential: an API key value, or a CLI login on this machine. */
export const QUOTA_CREDENTIAL_KINDS = frozen(["api_key", "cli_login"]);
export const ROUTINE_STATUSES = frozen(["active", "paused", "archived"]);
export const ROUTINE_CONCURRENCY_POLICIES = frozen(["coalesce_if_active", "skip_if_active", "always_enqueue"]);
export const ROUTINE_CATCH_UP_POLICIES = frozen(["skip_missed", "enqueue_missed_with_cap"]);
export const ROUTINE_TRIGGER_KINDS = frozen(["schedule", "webhook", "api"]);
export const ROUTINE_SIGNING_MODES = frozen(["hmac_sha256", "bearer"]);
export const ROUTINE_RUN_SOURCES = frozen(["schedule", "manual", "api", "webhook"]);
/** `received`: claimed, not dispatched yet; the others are final. */
export const ROUTINE_RUN_STATUSES = frozen(["received", "issue_created", "coalesced", "skipped", "failed"]);
/**
 * What a board inbox item is about (migration 0021 stores it with each person's read/archive state):
 * a failed run of an issue, a blocked issue, a pending approval, an open interaction addressed to
 * people, a comment mentioning the board.
 */
export const INBOX_ITEM_KINDS = frozen(["run_failed", "issue_blocked", "approval", "interaction", "mention"]);
