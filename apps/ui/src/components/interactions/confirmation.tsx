import { useState } from "react";
import type { Interaction } from "../../api/types.js";
import { checkboxPayload, checkboxSelectionProblem, confirmationPayload, resultOf } from "../../lib/interactions.js";
import { Markdown } from "../lazy-markdown.js";
import { ErrorNote } from "../ui.js";
import { RawPayload, TargetLink } from "./parts.js";
import { reasonBody, RejectReason } from "./reject-reason.js";
import { useInteractionAction } from "./use-interaction-action.js";

/** request_confirmation: a prompt with confirm / reject (and a reason when the card asks for one). */
export function ConfirmationBody({ interaction }: { interaction: Interaction }) {
  const p = confirmationPayload(interaction);
  const action = useInteractionAction(interaction);
  const [reason, setReason] = useState("");
  if (!p) return <RawPayload interaction={interaction} />;
  const pending = interaction.status === "pending";
  const result = resultOf(interaction);
  const askReason = p.rejectRequiresReason || p.allowDeclineReason;
  return (
    <>
      <p className="interaction-prompt">{p.prompt}</p>
      {p.detailsMarkdown ? <Markdown source={p.detailsMarkdown} /> : null}
      <TargetLink target={p.target} />
      {pending ? (
        <>
          {askReason ? (
            <RejectReason
              label={p.rejectReasonLabel ?? "Reason for rejecting"}
              placeholder={p.declineReasonPlaceholder}
              required={!!p.rejectRequiresReason}
              value={reason}
              onChange={setReason}
            />
          ) : null}
          <ErrorNote error={action.error} />
          <div className="row">
            <button type="button" disabled={action.isPending} onClick={() => action.mutate({ type: "accept", body: {} })}>
              {p.acceptLabel ?? "Confirm"}
            </button>
            <button
              type="button"
              className="danger"
              disabled={action.isPending || (!!p.rejectRequiresReason && !reason.trim())}
              onClick={() => action.mutate({ type: "reject", body: reasonBody(reason) })}
            >
              {p.rejectLabel ?? "Reject"}
            </button>
          </div>
        </>
      ) : result.reason ? (
        <p className="interaction-result">
          <span className="muted">Reason:</span> {result.reason}
        </p>
      ) : null}
    </>
  );
}

/** request_checkbox_confirmation: tick the options, then confirm the selection (or reject). */
export function CheckboxConfirmationBody({ interaction }: { interaction: Interaction }) {
  const p = checkboxPayload(interaction);
  const action = useInteractionAction(interaction);
  const result = resultOf(interaction);
  const [selected, setSelected] = useState<string[]>(() =>
    interaction.status === "pending" ? [...(p?.defaultSelectedOptionIds ?? [])] : (result.selectedOptionIds ?? []),
  );
  const [reason, setReason] = useState("");
  if (!p) return <RawPayload interaction={interaction} />;
  const pending = interaction.status === "pending";
  const problem = checkboxSelectionProblem(p, selected);
  const toggle = (id: string, on: boolean) => setSelected((s) => (on ? [...s.filter((x) => x !== id), id] : s.filter((x) => x !== id)));
  // Options in the payload's order, whatever order they were ticked in.
  const ordered = p.options.map((o) => o.id).filter((id) => selected.includes(id));
  const askReason = p.rejectRequiresReason || p.allowDeclineReason;
  return (
    <>
      <p className="interaction-prompt">{p.prompt}</p>
      {p.detailsMarkdown ? <Markdown source={p.detailsMarkdown} /> : null}
      <TargetLink target={p.target} />
      <fieldset className="interaction-options" disabled={!pending || action.isPending}>
        <legend className="sr-only">Options</legend>
        {p.options.map((o) => (
          <label key={o.id} className="check-option">
            <input
              type="checkbox"
              checked={selected.includes(o.id)}
              disabled={!pending || action.isPending}
              onChange={(e) => toggle(o.id, e.target.checked)}
            />
            <span>
              {o.label}
              {o.description ? <span className="muted small"> — {o.description}</span> : null}
            </span>
          </label>
        ))}
      </fieldset>
      {pending ? (
        <>
          {askReason ? (
            <RejectReason
              label={p.rejectReasonLabel ?? "Reason for rejecting"}
              placeholder={p.declineReasonPlaceholder}
              required={!!p.rejectRequiresReason}
              value={reason}
              onChange={setReason}
            />
          ) : null}
          {problem ? <p className="muted small">{problem}</p> : null}
          <ErrorNote error={action.error} />
          <div className="row">
            <button
              type="button"
              disabled={action.isPending || !!problem}
              onClick={() => action.mutate({ type: "accept", body: { selectedOptionIds: ordered } })}
            >
              {p.acceptLabel ?? "Confirm selection"}
            </button>
            <button
              type="button"
              className="danger"
              disabled={action.isPending || (!!p.rejectRequiresReason && !reason.trim())}
              onClick={() => action.mutate({ type: "reject", body: reasonBody(reason) })}
            >
              {p.rejectLabel ?? "Reject"}
            </button>
          </div>
        </>
      ) : result.reason ? (
        <p className="interaction-result">
          <span className="muted">Reason:</span> {result.reason}
        </p>
      ) : null}
    </>
  );
}
