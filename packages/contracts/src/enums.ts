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

export const AGENT_STATUSES = frozen([
  "active",
  "paused",
  "idle",
  "running",
  "error",
  "pending_approval",
  "terminated",
]);
export type AgentStatus = (typeof AGENT_STATUSES)[number];
/** Agents in these states may not be woken, claimed or authenticated as. */
export const NON_INVOKABLE_AGENT_STATUSES = frozen(["paused", "terminated", "pending_approval"]);

export const ADAPTER_TYPES = frozen(["process", "http", "claude_local", "codex_local"]);
export type AdapterType = (typeof ADAPTER_TYPES)[number];

export const ISSUE_STATUSES = frozen([
  "backlog",
  "todo",
  "in_progress",
  "in_review",
  "done",
  "blocked",
  "cancelled",
]);
export type IssueStatus = (typeof ISSUE_STATUSES)[number];
/** Statuses in which an issue is finished; blockers in `done` are resolved, `cancelled` ones are not. */
export const CLOSED_ISSUE_STATUSES = frozen(["done", "cancelled"]);

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

export const WORK_PRODUCT_TYPES = frozen([
  "preview_url",
  "runtime_service",
  "pull_request",
  "branch",
  "commit",
  "artifact",
  "document",
]);
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

/**
 * Heartbeat run states. `queued`, `scheduled_retry` and `running` are the execution path (the run
 * may still do work and may hold an issue's execution lock); the other four are terminal.
 */
export const RUN_STATUSES = frozen([
  "queued",
  "scheduled_retry",
  "running",
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
]);
export type RunStatus = (typeof RUN_STATUSES)[number];
export const EXECUTION_PATH_RUN_STATUSES = frozen(["queued", "scheduled_retry", "running"]);
export const TERMINAL_RUN_STATUSES = frozen(["succeeded", "failed", "cancelled", "timed_out"]);

export const RUN_LIVENESS_STATES = frozen([
  "completed",
  "advanced",
  "plan_only",
  "empty_response",
  "blocked",
  "failed",
  "needs_followup",
]);

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
export const BUDGET_SCOPE_TYPES = frozen(["company", "agent", "project"]);
export const BUDGET_METRICS = frozen(["billed_cents"]);
export const BUDGET_WINDOW_KINDS = frozen(["calendar_month_utc", "lifetime"]);
export const BUDGET_THRESHOLD_TYPES = frozen(["soft", "hard"]);
export const BUDGET_INCIDENT_STATUSES = frozen(["open", "resolved", "dismissed"]);
export const ENVIRONMENT_DRIVERS = frozen(["local", "ssh", "sandbox", "plugin"]);
export const ENVIRONMENT_STATUSES = frozen(["active", "archived"]);
export const ENVIRONMENT_LEASE_STATUSES = frozen(["active", "released", "expired", "failed", "retained", "pending_cleanup"]);
