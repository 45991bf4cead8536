import { AGENT_STATUSES } from "@staple/contracts";
import { validationError } from "../../errors.js";

/** Parses a comma list of agent statuses; an unknown value is a 400 that names it. */
export function parseCommaList(raw: string | undefined, field: string, allowed: readonly string[] = AGENT_STATUSES): string[] | undefined {
  if (raw === undefined) return undefined;
  const values = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = values.filter((v) => !allowed.includes(v));
  if (unknown.length)
    throw validationError(`Unknown ${field}: ${unknown.join(", ")}`, [
      { path: [field], message: `Expected a comma list of ${allowed.join(", ")}` },
    ]);
  return values;
}
