import type { InteractionTarget } from "@staple/contracts";
import type { Interaction } from "../../api/types.js";

/** A card whose payload the board cannot read: the JSON, so nothing is hidden. */
export function RawPayload({ interaction }: { interaction: Interaction }) {
  return (
    <>
      <p className="muted small">This card's content could not be shown; its payload is below.</p>
      <pre className="raw-json">{JSON.stringify(interaction.payload, null, 2)}</pre>
    </>
  );
}

/** The document or page a card is about (hrefs were checked by the server: relative, # or http(s)). */
export function TargetLink({ target }: { target: InteractionTarget | null | undefined }) {
  if (!target) return null;
  const text =
    target.label ??
    (target.type === "issue_document"
      ? `Document ${target.key}${target.revisionNumber != null ? ` (rev ${target.revisionNumber})` : ""}`
      : target.key);
  return (
    <p className="small">
      About:{" "}
      {target.href ? (
        <a href={target.href} rel="noreferrer noopener">
          {text}
        </a>
      ) : (
        <span>{text}</span>
      )}
    </p>
  );
}
