import type { SuggestedTask } from "@staple/contracts";
import { useState } from "react";
import { Link } from "react-router";
import type { Interaction } from "../../api/types.js";
import { useCompany } from "../../lib/company-context.js";
import { resultOf, suggestTasksPayload } from "../../lib/interactions.js";
import { humanize } from "../../lib/status.js";
import { ErrorNote } from "../ui.js";
import { RawPayload } from "./parts.js";
import { reasonBody, RejectReason } from "./reject-reason.js";
import { useInteractionAction } from "./use-interaction-action.js";

/** Nesting depth of each task (parentClientKey chains; the server refuses cycles, the walk is bounded anyway). */
function depths(tasks: readonly SuggestedTask[]): Map<string, number> {
  const byKey = new Map(tasks.map((t) => [t.clientKey, t]));
  const out = new Map<string, number>();
  for (const t of tasks) {
    let depth = 0;
    let cursor = t.parentClientKey;
    while (cursor && byKey.has(cursor) && depth < tasks.length) {
      depth++;
      cursor = byKey.get(cursor)!.parentClientKey;
    }
    out.set(t.clientKey, depth);
  }
  return out;
}

/**
 * suggest_tasks: the proposed tasks with a checkbox each; accepting creates the ticked ones as
 * sub-issues (shown as links once created), rejecting declines them all.
 */
export function SuggestedTasksBody({ interaction }: { interaction: Interaction }) {
  const { base, agentName } = useCompany();
  const p = suggestTasksPayload(interaction);
  const action = useInteractionAction(interaction);
  const [selected, setSelected] = useState<string[]>(() => (p?.tasks ?? []).map((t) => t.clientKey));
  const [reason, setReason] = useState("");
  const [rejecting, setRejecting] = useState(false);
  if (!p) return <RawPayload interaction={interaction} />;
  const pending = interaction.status === "pending";
  const result = resultOf(interaction);
  const created = new Map((result.createdTasks ?? []).map((t) => [t.clientKey, t]));
  const skipped = new Set(result.skippedClientKeys ?? []);
  const depth = depths(p.tasks);
  const toggle = (key: string, on: boolean) => setSelected((s) => (on ? [...s.filter((k) => k !== key), key] : s.filter((k) => k !== key)));
  const ordered = p.tasks.map((t) => t.clientKey).filter((k) => selected.includes(k));
  return (
    <>
      <ul className="plain suggested-tasks" aria-label="Suggested tasks">
        {p.tasks.map((t) => {
          const made = created.get(t.clientKey);
          return (
            <li key={t.clientKey} style={{ paddingLeft: `${(depth.get(t.clientKey) ?? 0) * 1.25}rem` }}>
              {pending ? (
                <label className="check-option">
                  <input
                    type="checkbox"
                    checked={selected.includes(t.clientKey)}
                    disabled={action.isPending}
                    onChange={(e) => toggle(t.clientKey, e.target.checked)}
                  />
                  <TaskLine task={t} assignee={t.assigneeAgentId ? agentName(t.assigneeAgentId) : null} />
                </label>
              ) : (
                <div className="task-line">
                  <TaskLine task={t} assignee={t.assigneeAgentId ? agentName(t.assigneeAgentId) : null} />
                  {made ? (
                    <Link to={`${base}/issues/${made.identifier ?? made.issueId}`} className="small">
                      Created {made.identifier ?? "sub-issue"}
                    </Link>
                  ) : interaction.status === "accepted" && skipped.has(t.clientKey) ? (
                    <span className="muted small">not created</span>
                  ) : null}
                </div>
              )}
            </li>
          );
        })}
      </ul>
      {pending ? (
        <>
          {rejecting ? <RejectReason label="Reason for rejecting" required={false} value={reason} onChange={setReason} /> : null}
          <ErrorNote error={action.error} />
          <div className="row">
            <button
              type="button"
              disabled={action.isPending || ordered.length === 0}
              onClick={() => action.mutate({ type: "accept", body: { selectedClientKeys: ordered } })}
            >
              {ordered.length === p.tasks.length ? "Accept all tasks" : `Accept ${ordered.length} of ${p.tasks.length} tasks`}
            </button>
            {rejecting ? (
              <button
                type="button"
                className="danger"
                disabled={action.isPending}
                onClick={() => action.mutate({ type: "reject", body: reasonBody(reason) })}
              >
                Reject suggestions
              </button>
            ) : (
              <button type="button" className="danger" disabled={action.isPending} onClick={() => setRejecting(true)}>
                Reject…
              </button>
            )}
          </div>
        </>
      ) : result.rejectionReason || result.reason ? (
        <p className="interaction-result">
          <span className="muted">Reason:</span> {result.rejectionReason ?? result.reason}
        </p>
      ) : null}
    </>
  );
}

function TaskLine({ task, assignee }: { task: SuggestedTask; assignee: string | null }) {
  return (
    <span className="grow">
      <strong>{task.title}</strong>
      {task.priority ? <span className={`priority prio-${task.priority}`}> · {humanize(task.priority)}</span> : null}
      {assignee ? <span className="muted small"> · {assignee}</span> : null}
      {task.description ? (
        <span className="muted small task-desc">
          {task.description.length > 200 ? `${task.description.slice(0, 200)}…` : task.description}
        </span>
      ) : null}
    </span>
  );
}
