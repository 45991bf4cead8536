import type { ReactNode } from "react";
import { Link } from "react-router";
import type { Interaction } from "../../api/types.js";
import { useCompany } from "../../lib/company-context.js";
import { formatTime, relativeTime } from "../../lib/format.js";
import { decisionTone, INTERACTION_KIND_LABELS, resultOf } from "../../lib/interactions.js";
import { humanize } from "../../lib/status.js";
import { Badge } from "../ui.js";
import { CheckboxConfirmationBody, ConfirmationBody } from "./confirmation.js";
import { QuestionsBody } from "./questions.js";
import { SuggestedTasksBody } from "./suggested-tasks.js";
import { VerdictsBody } from "./verdicts.js";

const BODIES: Record<Interaction["kind"], (props: { interaction: Interaction }) => ReactNode> = {
  request_confirmation: ConfirmationBody,
  request_checkbox_confirmation: CheckboxConfirmationBody,
  request_item_verdicts: VerdictsBody,
  ask_user_questions: QuestionsBody,
  suggest_tasks: SuggestedTasksBody,
};

/**
 * One interaction in the conversation: who asked and when, its status, and its kind's
 * controls while pending; once resolved, expired or cancelled the same card shows the result
 * read-only (the body components switch on the status).
 */
export function InteractionCard({ interaction: i }: { interaction: Interaction }) {
  const { agentName } = useCompany();
  const Body = BODIES[i.kind];
  const result = resultOf(i);
  const from = i.createdByAgentId ? agentName(i.createdByAgentId) : i.createdByUserId ? "Board" : "System";
  const resolver = i.resolvedByAgentId ? agentName(i.resolvedByAgentId) : i.resolvedByUserId ? "the board" : null;
  const heading = i.title ?? INTERACTION_KIND_LABELS[i.kind];
  return (
    <article
      className={`interaction-card status-${i.status}`}
      aria-label={`${INTERACTION_KIND_LABELS[i.kind]}: ${heading}`}
      data-interaction-id={i.id}
      data-kind={i.kind}
    >
      <div className="comment-head">
        <strong>{from}</strong>
        <span className="muted">{INTERACTION_KIND_LABELS[i.kind].toLowerCase()}</span>
        <span className="muted">{formatTime(i.createdAt)}</span>
        <Badge status={i.status} tone={decisionTone(i.status)} />
      </div>
      {i.title ? <h3 className="interaction-title">{i.title}</h3> : null}
      {i.summary ? <p className="muted small">{i.summary}</p> : null}
      {Body ? <Body interaction={i} /> : null}
      {i.status !== "pending" ? (
        <p className="muted small interaction-footer">
          {humanize(i.status)}
          {resolver ? ` by ${resolver}` : ""}
          {i.resolvedAt ? ` ${relativeTime(i.resolvedAt)}` : ""}
          {result.outcome && result.outcome !== i.status ? ` · ${humanize(result.outcome)}` : ""}
          {result.expirationReason ? ` · ${result.expirationReason}` : ""}
          {result.cancellationReason ? ` · ${result.cancellationReason}` : ""}
          {i.resolvedByRunId ? (
            <>
              {" · "}
              <RunLink runId={i.resolvedByRunId} />
            </>
          ) : null}
        </p>
      ) : null}
    </article>
  );
}

function RunLink({ runId }: { runId: string }) {
  const { base } = useCompany();
  return <Link to={`${base}/runs/${runId}`}>run {runId.slice(0, 8)}</Link>;
}
