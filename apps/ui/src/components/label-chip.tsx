import type { ReactNode } from "react";
import type { Label } from "../api/types.js";
import { labelChipColors } from "../lib/label-color.js";

/** A label in its own colour, with black or white text, whichever reads better on it. */
export function LabelChip({ label, children }: { label: Pick<Label, "name" | "color">; children?: ReactNode }) {
  return (
    <span className="label-chip" style={labelChipColors(label.color)} data-label={label.name}>
      {label.name}
      {children}
    </span>
  );
}

export function LabelChips({ labels }: { labels: readonly Pick<Label, "id" | "name" | "color">[] | undefined }) {
  if (!labels?.length) return null;
  return (
    <span className="label-chips">
      {labels.map((l) => (
        <LabelChip key={l.id} label={l} />
      ))}
    </span>
  );
}
