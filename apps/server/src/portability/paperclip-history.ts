import { type PaperclipDbCompany, STOPPED_AGENT_STATUSES } from "@staple/contracts";
import type { Queryable } from "../db/database.js";
import type { AppliedImport } from "./apply.js";
import { invalidPackage } from "./files.js";
import { importedRunInsertSql } from "../runs/transition.js";

type History = PaperclipDbCompany["history"];

/** Agent states kept from Paperclip: stopped agents stay stopped; every other state arrives idle (nothing runs yet). */
const KEPT_AGENT_STATES: ReadonlySet<string> = new Set(STOPPED_AGENT_STATUSES);

/** History rows per kind, for the preview and the result. */
export function historyCounts(history: History): Record<string, number> {
  return {
    runs: history.runs.length,
    activity: history.activity.length,
    costEvents: history.costEvents.length,
    approvals: history.approvals.length,
    approvalComments: history.approvals.reduce((n, a) => n + a.comments.length, 0),
  };
}

/**
 * Every slug the history names must be in the company's package (or, for runs, among its runs), so
 * a broken document is a 422 before anything is written.
 */
export function checkHistory(company: PaperclipDbCompany): void {
  const { pkg, history } = { pkg: company.package, history: company.history };
  const agents = new Set(pkg.agents.map((a) => a.slug));
  const issues = new Set(pkg.issues.map((i) => i.slug));
  const projects = new Set(pkg.projects.map((p) => p.slug));
  const goals = new Set(pkg.goals.map((g) => g.slug));
  const runs = new Set(history.runs.map((r) => r.sourceId));
  const need = (set: Set<string>, value: string | null, what: string) => {
    if (value !== null && !set.has(value)) {
      throw invalidPackage(`Company ${company.sourceId}: ${what} names '${value}', which is not in the import`);
    }
  };
  for (const s of history.agentStates) need(agents, s.slug, "an agent state");
  for (const r of history.runs) {
    need(agents, r.agentSlug, `run ${r.sourceId} agent`);
    need(issues, r.issueSlug, `run ${r.sourceId} issue`);
  }
  for (const a of history.activity) {
    need(agents, a.agentSlug, `activity ${a.action} agent`);
    need(runs, a.runSourceId, `activity ${a.action} run`);
  }
  for (const c of history.costEvents) {
    need(agents, c.agentSlug, "a cost event's agent");
    need(issues, c.issueSlug, "a cost event's issue");
    need(projects, c.projectSlug, "a cost event's project");
    need(goals, c.goalSlug, "a cost event's goal");
    need(runs, c.runSourceId, "a cost event's run");
  }
  for (const a of history.approvals) {
    need(agents, a.requestedByAgentSlug, `approval ${a.sourceId} requester`);
    for (const i of a.issueSlugs) need(issues, i, `approval ${a.sourceId} issue`);
    for (const c of a.comments) need(agents, c.authorAgentSlug, `approval ${a.sourceId} comment author`);
  }
}

/**
 * Writes a company's history after its package rows, in the same transaction. Source ids in
 * activity (entity ids, agent actor ids) that name an imported row are rewritten to the new id;
 * others (users, rows that are not imported) keep their text.
 */
export async function writeHistory(q: Queryable, applied: AppliedImport, company: PaperclipDbCompany): Promise<void> {
  const { companyId } = applied;
  const history = company.history;
  const created = new Set(applied.result.agents.filter((a) => a.action === "created").map((a) => a.slug));
  const agentId = (slug: string | null) => (slug ? (applied.agentIds.get(slug) ?? null) : null);
  const issueId = (slug: string | null) => (slug ? (applied.issueIds.get(slug) ?? null) : null);

  for (const state of history.agentStates) {
    if (!created.has(state.slug)) continue;
    const status = KEPT_AGENT_STATES.has(state.status) ? state.status : "idle";
    await q.query(
      `UPDATE agents SET status = $2, pause_reason = CASE WHEN $2 = 'paused' THEN 'manual' END,
         paused_at = CASE WHEN $2 = 'paused' THEN now() END, created_at = COALESCE($3::timestamptz, created_at)
       WHERE id = $1`,
      [agentId(state.slug), status, state.createdAt],
    );
  }

  const runIds = new Map<string, string>();
  for (const run of history.runs) {
    const [row] = await q.query<{ id: string }>(
      importedRunInsertSql(
        run.status,
        [
          "company_id",
          "agent_id",
          "invocation_source",
          "trigger_detail",
          "issue_id",
          "started_at",
          "finished_at",
          "error",
          "error_code",
          "exit_code",
          "usage_json",
          "result_json",
          "stdout_excerpt",
          "stderr_excerpt",
          "context_snapshot",
          "created_at",
          "updated_at",
        ],
        [
          "$1",
          "$2",
          "$3",
          "$4",
          "$5",
          "$6",
          "$7",
          "$8",
          "$9",
          "$10",
          "$11::jsonb",
          "$12::jsonb",
          "$13",
          "$14",
          "$15::jsonb",
          "COALESCE($16::timestamptz, now())",
          "COALESCE($7::timestamptz, $16::timestamptz, now())",
        ],
        "id",
      ),
      [
        companyId,
        agentId(run.agentSlug),
        run.invocationSource,
        run.triggerDetail,
        issueId(run.issueSlug),
        run.startedAt,
        run.finishedAt,
        run.error,
        run.errorCode,
        run.exitCode,
        run.usage === null ? null : JSON.stringify(run.usage),
        run.result === null ? null : JSON.stringify(run.result),
        run.stdoutExcerpt,
        run.stderrExcerpt,
        JSON.stringify({ importedFrom: { paperclipRunId: run.sourceId }, issueId: issueId(run.issueSlug) }),
        run.createdAt,
      ],
    );
    runIds.set(run.sourceId, row!.id);
  }
  const runId = (sourceId: string | null) => (sourceId ? (runIds.get(sourceId) ?? null) : null);

  for (const cost of history.costEvents) {
    await q.query(
      `INSERT INTO cost_events (company_id, agent_id, issue_id, project_id, goal_id, heartbeat_run_id, billing_code, provider,
         biller, billing_type, model, input_tokens, cached_input_tokens, output_tokens, cost_cents, occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, COALESCE($16::timestamptz, now()))`,
      [
        companyId,
        agentId(cost.agentSlug),
        issueId(cost.issueSlug),
        cost.projectSlug ? (applied.projectIds.get(cost.projectSlug) ?? null) : null,
        cost.goalSlug ? (applied.goalIds.get(cost.goalSlug) ?? null) : null,
        runId(cost.runSourceId),
        cost.billingCode,
        cost.provider,
        cost.biller,
        cost.billingType,
        cost.model,
        cost.inputTokens,
        cost.cachedInputTokens,
        cost.outputTokens,
        cost.costCents,
        cost.occurredAt,
      ],
    );
  }

  const approvalIds = new Map<string, string>();
  for (const approval of history.approvals) {
    const [row] = await q.query<{ id: string }>(
      `INSERT INTO approvals (company_id, type, requested_by_agent_id, requested_by_user_id, status, payload, decision_note,
         decided_by_user_id, decided_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, COALESCE($10::timestamptz, now()), COALESCE($9::timestamptz, $10::timestamptz, now()))
       RETURNING id`,
      [
        companyId,
        approval.type,
        agentId(approval.requestedByAgentSlug),
        approval.requestedByUserId,
        approval.status,
        approval.payload === null ? null : JSON.stringify(approval.payload),
        approval.decisionNote,
        approval.decidedByUserId,
        approval.decidedAt,
        approval.createdAt,
      ],
    );
    approvalIds.set(approval.sourceId, row!.id);
    for (const slug of new Set(approval.issueSlugs)) {
      await q.query("INSERT INTO issue_approvals (company_id, issue_id, approval_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [
        companyId,
        issueId(slug),
        row!.id,
      ]);
    }
    for (const c of approval.comments) {
      await q.query(
        `INSERT INTO approval_comments (company_id, approval_id, author_agent_id, author_user_id, body, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, COALESCE($6::timestamptz, now()), COALESCE($6::timestamptz, now()))`,
        [companyId, row!.id, agentId(c.authorAgentSlug), c.authorUserId, c.body, c.createdAt],
      );
    }
  }

  // Source id -> new id for every imported row an activity entry may name.
  const mapped = new Map<string, string>([[company.sourceId, companyId]]);
  for (const m of [applied.agentIds, applied.issueIds, applied.projectIds, applied.goalIds, runIds, approvalIds]) {
    for (const [from, to] of m) mapped.set(from, to);
  }
  for (const a of history.activity) {
    await q.query(
      `INSERT INTO activity_log (company_id, actor_type, actor_id, action, entity_type, entity_id, agent_id, run_id, details, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, COALESCE($10::timestamptz, clock_timestamp()))`,
      [
        companyId,
        a.actorType,
        mapped.get(a.actorId) ?? a.actorId,
        a.action,
        a.entityType,
        mapped.get(a.entityId) ?? a.entityId,
        agentId(a.agentSlug),
        runId(a.runSourceId),
        a.details === null ? null : JSON.stringify(a.details),
        a.createdAt,
      ],
    );
  }
}
