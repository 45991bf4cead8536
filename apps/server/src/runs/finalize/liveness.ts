import { CONTINUATION_SUMMARY_DOCUMENT_KEY, PLAN_DOCUMENT_KEY } from "@staple/contracts";
import { sqlLiteral } from "../../db/sql-list.js";
import type { Queryable } from "../../db/database.js";
import { recordActivity } from "../../activity/record.js";
import { getInvocationBlock } from "../../budgets/invocation-block.js";
import type { WakeupEnqueuer } from "../enqueue.js";
import { classifyRunLiveness, decideContinuation, type LivenessEvidence, type LivenessState } from "../liveness.js";
import type { RunRow } from "../rows.js";
import type { FinalizeStep } from "./pipeline.js";

/** Activity that is bookkeeping of the harness, not work of the agent. */
const BOOKKEEPING_ACTIONS = [
  "issue.checked_out",
  "issue.checkout_lock_adopted",
  "heartbeat.invoked",
  "heartbeat.cancelled",
  "environment.lease_acquired",
  "environment.lease_released",
];

/** Counts what a run left on its issue, in one statement (docs/runs.md#liveness-and-continuation). */
export async function gatherEvidence(q: Queryable, run: { id: string; issueId: string | null }): Promise<LivenessEvidence> {
  const [row] = await q.query<LivenessEvidence>(
    `SELECT
       (SELECT count(*)::int FROM issue_comments c WHERE c.created_by_run_id = $1 AND c.issue_id = $2) AS issue_comments_created,
       (SELECT count(*)::int FROM document_revisions dr JOIN issue_documents d ON d.document_id = dr.document_id
          WHERE dr.created_by_run_id = $1 AND d.issue_id = $2 AND d.key <> ${sqlLiteral(CONTINUATION_SUMMARY_DOCUMENT_KEY)}) AS document_revisions_created,
       (SELECT count(*)::int FROM document_revisions dr JOIN issue_documents d ON d.document_id = dr.document_id
          WHERE dr.created_by_run_id = $1 AND d.issue_id = $2 AND d.key = ${sqlLiteral(PLAN_DOCUMENT_KEY)}) AS plan_document_revisions_created,
       (SELECT count(*)::int FROM issue_work_products w WHERE w.created_by_run_id = $1 AND w.issue_id = $2) AS work_products_created,
       (SELECT count(*)::int FROM activity_log a WHERE a.run_id = $1 AND NOT (a.action = ANY($3::text[]))
          AND a.action NOT IN ('issue.comment_added', 'issue.document_created', 'issue.document_updated', 'issue.work_product_created')) AS activity_events_created,
       (SELECT count(*)::int FROM heartbeat_run_events e WHERE e.run_id = $1 AND e.event_type NOT IN ('lifecycle', 'adapter.invoke', 'error')) AS tool_events_created`,
    [run.id, run.issueId, BOOKKEEPING_ACTIONS],
  );
  return row!;
}

/** Classifies the finished run and stores the verdict (the row is terminal, only liveness columns move). */
export async function classifyAndStore(
  q: Queryable,
  run: RunRow,
  output: string | null,
): Promise<{ state: LivenessState; reason: string }> {
  const [issue] = run.issueId
    ? await q.query<{ status: string; title: string; description: string | null }>(
        "SELECT status, title, description FROM issues WHERE id = $1",
        [run.issueId],
      )
    : [];
  const evidence = await gatherEvidence(q, run);
  const verdict = classifyRunLiveness({ runStatus: run.status, errorCode: run.errorCode, issue: issue ?? null, output, evidence });
  const useful = ["advanced", "completed", "blocked"].includes(verdict.state);
  await q.query(
    `UPDATE heartbeat_runs SET liveness_state = $2, liveness_reason = left($3, 500), next_action = left($4, 500),
            last_useful_action_at = CASE WHEN $5 THEN now() ELSE last_useful_action_at END
      WHERE id = $1`,
    [run.id, verdict.state, verdict.reason, verdict.nextAction, useful],
  );
  return verdict;
}

/**
 * Classifies the run from its evidence before it is made terminal, so the persist step writes the
 * verdict in the same statement as the outcome. Runs without an issue can only be judged by their
 * output (their evidence lives on issues).
 */
export const livenessClassifyStep: FinalizeStep = {
  name: "classify_liveness",
  onlyIfTransitioned: false,
  async run(ctx) {
    const run = ctx.run;
    const [issue] = run.issueId
      ? await ctx.q.query<{ status: string; title: string; description: string | null }>(
          "SELECT status, title, description FROM issues WHERE id = $1",
          [run.issueId],
        )
      : [];
    const evidence = run.issueId
      ? await gatherEvidence(ctx.q, run)
      : {
          issueCommentsCreated: 0,
          documentRevisionsCreated: 0,
          planDocumentRevisionsCreated: 0,
          workProductsCreated: 0,
          activityEventsCreated: 0,
          toolEventsCreated: 0,
        };
    const output = ctx.result?.summary ?? ctx.log.stdoutExcerpt?.slice(-4000) ?? null;
    const verdict = classifyRunLiveness({
      runStatus: ctx.outcome.status,
      errorCode: ctx.outcome.errorCode,
      issue: issue ?? null,
      output: output ? ctx.redact(output) : null,
      evidence,
    });
    ctx.liveness = { ...verdict, useful: ["advanced", "completed", "blocked"].includes(verdict.state) };
  },
};

/**
 * Bounded continuation (docs/runs.md#liveness-and-continuation): a run that only planned, or said
 * nothing, gets at most two follow-up wakes on the same issue; then one comment tells the humans it
 * stopped.
 */
export function livenessContinuationStep(enqueuer: WakeupEnqueuer): FinalizeStep {
  return {
    name: "liveness_continuation",
    onlyIfTransitioned: true,
    async run(ctx) {
      const run = ctx.finalRun;
      if (!run?.issueId) return;
      const state = run.livenessState as LivenessState | null;
      if (state !== "plan_only" && state !== "empty_response") return;
      const [issue] = await ctx.q.query<{
        id: string;
        companyId: string;
        identifier: string;
        status: string;
        assigneeAgentId: string | null;
        assigneeUserId: string | null;
        executionState: unknown;
      }>("SELECT id, company_id, identifier, status, assignee_agent_id, assignee_user_id, execution_state FROM issues WHERE id = $1", [
        run.issueId,
      ]);
      const [agent] = await ctx.q.query<{ status: string }>("SELECT status FROM agents WHERE id = $1", [run.agentId]);
      const decision = decideContinuation({
        state,
        runId: run.id,
        runAgentId: run.agentId,
        continuationAttempt: run.continuationAttempt,
        issue: issue ?? null,
        agentStatus: agent?.status ?? null,
        budgetBlocked: Boolean(issue && (await getInvocationBlock(ctx.q, { companyId: issue.companyId, agentId: run.agentId }))),
      });
      if (decision.kind === "exhausted" && issue) {
        const body = `Bounded liveness continuation exhausted: the last ${run.continuationAttempt} automatic follow-ups ended without concrete progress (${state}). A human should look at this issue.`;
        const [existing] = await ctx.q.query(
          "SELECT id FROM issue_comments WHERE issue_id = $1 AND author_type = 'system' AND body LIKE 'Bounded liveness continuation exhausted%' AND created_at > now() - interval '1 day'",
          [issue.id],
        );
        if (!existing) {
          await ctx.q.query("INSERT INTO issue_comments (company_id, issue_id, author_type, body) VALUES ($1, $2, 'system', $3)", [
            issue.companyId,
            issue.id,
            body,
          ]);
          await recordActivity(ctx.q, {
            companyId: issue.companyId,
            actor: "system",
            action: "issue.comment_added",
            entityType: "issue",
            entityId: issue.id,
            runId: run.id,
            details: { identifier: issue.identifier, reason: "liveness_continuation_exhausted" },
          });
        }
        return;
      }
      if (decision.kind !== "enqueue") return;
      const instruction =
        state === "plan_only"
          ? "Carry out the next step you described now and leave evidence on the issue."
          : "Your last run produced nothing. Work the issue and leave evidence on it.";
      const outcome = await enqueuer
        .enqueue(
          {
            agentId: run.agentId,
            source: "automation",
            triggerDetail: "system",
            reason: "run_liveness_continuation",
            payload: {
              issueId: run.issueId,
              sourceRunId: run.id,
              livenessState: state,
              continuationAttempt: decision.attempt,
              instruction,
            },
            context: { livenessContinuationAttempt: decision.attempt, continuationOfRunId: run.id },
            idempotencyKey: decision.idempotencyKey,
            requestedBy: { type: "system", id: "liveness" },
            run: { continuationAttempt: decision.attempt },
          },
          ctx.q,
        )
        .catch(() => null);
      if (outcome?.kind === "queued") ctx.pokes.add(run.agentId);
    },
  };
}
