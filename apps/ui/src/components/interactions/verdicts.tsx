import type { ItemVerdict } from "@staple/contracts";
import { useState } from "react";
import type { Interaction } from "../../api/types.js";
import { enabledVerdicts, resultOf, verdictsPayload } from "../../lib/interactions.js";
import { humanize } from "../../lib/status.js";
import { Markdown } from "../lazy-markdown.js";
import { Badge, ErrorNote } from "../ui.js";
import { RawPayload, TargetLink } from "./parts.js";
import { useInteractionAction } from "./use-interaction-action.js";

const VERDICT_TONE = { approve: "good", reject: "bad", defer: "wait" } as const;

/**
 * request_item_verdicts: a verdict button per item (approve / reject / defer as the card enables),
 * a reason where the card requires one, then one submission of the verdicts chosen. Items decided
 * by an earlier partial submission show their verdict read-only.
 */
export function VerdictsBody({ interaction }: { interaction: Interaction }) {
  const p = verdictsPayload(interaction);
  const action = useInteractionAction(interaction);
  const [chosen, setChosen] = useState<Record<string, ItemVerdict>>({});
  const [reasons, setReasons] = useState<Record<string, string>>({});
  if (!p) return <RawPayload interaction={interaction} />;
  const pending = interaction.status === "pending";
  const decided = new Map((resultOf(interaction).items ?? []).map((item) => [item.id, item]));
  const verdicts = enabledVerdicts(p);
  const needsReason = new Set(p.requireReasonOn ?? []);
  const picks = Object.entries(chosen);
  const missingReason = picks.some(([id, v]) => needsReason.has(v) && !reasons[id]?.trim());
  const submit = () =>
    action.mutate({
      type: "verdicts",
      body: { verdicts: picks.map(([id, verdict]) => ({ id, verdict, ...(reasons[id]?.trim() ? { reason: reasons[id]!.trim() } : {}) })) },
    });
  const open = p.items.filter((item) => !decided.has(item.id));
  return (
    <>
      <p className="interaction-prompt">{p.prompt}</p>
      {p.detailsMarkdown ? <Markdown source={p.detailsMarkdown} /> : null}
      <TargetLink target={p.target} />
      <ul className="plain verdict-items" aria-label="Items">
        {p.items.map((item) => {
          const done = decided.get(item.id);
          const pick = chosen[item.id];
          return (
            <li key={item.id} className="verdict-item">
              <div className="verdict-head">
                <span className="grow">
                  <strong>
                    {item.href ? (
                      <a href={item.href} rel="noreferrer noopener">
                        {item.label}
                      </a>
                    ) : (
                      item.label
                    )}
                  </strong>
                  {item.description ? <span className="muted small"> — {item.description}</span> : null}
                </span>
                {done ? (
                  <Badge status={done.verdict} label={humanize(done.verdict)} tone={VERDICT_TONE[done.verdict]} />
                ) : pending ? (
                  <span className="verdict-buttons" role="group" aria-label={`Verdict on ${item.label}`}>
                    {verdicts.map((v) => (
                      <button
                        key={v}
                        type="button"
                        className={`small ${pick === v ? `verdict-on tone-${VERDICT_TONE[v]}` : "secondary"}`}
                        aria-pressed={pick === v}
                        disabled={action.isPending}
                        onClick={() => setChosen((c) => (c[item.id] === v ? omit(c, item.id) : { ...c, [item.id]: v }))}
                      >
                        {humanize(v)}
                      </button>
                    ))}
                  </span>
                ) : (
                  <span className="muted small">no verdict</span>
                )}
              </div>
              {item.previewMarkdown ? <Markdown source={item.previewMarkdown} /> : null}
              {done?.reason ? <p className="small muted">Reason: {done.reason}</p> : null}
              {pick && !done ? (
                <input
                  aria-label={`Reason for ${item.label}`}
                  placeholder={`${p.reasonLabel ?? "Reason"}${needsReason.has(pick) ? " (required)" : " (optional)"}`}
                  value={reasons[item.id] ?? ""}
                  onChange={(e) => setReasons((r) => ({ ...r, [item.id]: e.target.value }))}
                />
              ) : null}
            </li>
          );
        })}
      </ul>
      {pending ? (
        <>
          <ErrorNote error={action.error} />
          <div className="row">
            {p.allowBulkApprove && open.length > 1 ? (
              <button
                type="button"
                className="secondary"
                disabled={action.isPending}
                onClick={() => setChosen(Object.fromEntries(open.map((item) => [item.id, "approve" as const])))}
              >
                Approve all
              </button>
            ) : null}
            <button type="button" disabled={action.isPending || picks.length === 0 || missingReason} onClick={submit}>
              {picks.length && picks.length < open.length ? `Submit ${picks.length} of ${open.length} verdicts` : "Submit verdicts"}
            </button>
          </div>
        </>
      ) : null}
    </>
  );
}

function omit<T>(record: Record<string, T>, key: string): Record<string, T> {
  const { [key]: _, ...rest } = record;
  return rest;
}
