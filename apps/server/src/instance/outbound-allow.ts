import { allowListProblems, MAX_ALLOW_ENTRY_LENGTH } from "@staple/adapter-kit";
import type { Queryable } from "../db/database.js";
import { validationError } from "../errors.js";

/** Most entries the board may store (the table's CHECK allows more, so a lower limit here can change freely). */
export const MAX_OUTBOUND_ALLOW_ENTRIES = 100;

export interface OutboundSettings {
  /** The board's entries (stored). */
  allow: string[];
  /** The operator's entries (STAPLE_OUTBOUND_ALLOW), read-only through the API. */
  envAllow: string[];
  updatedAt: string | null;
  updatedBy: string | null;
}

/** The board's stored entries as one value (NULL when never set), for use as a scalar subquery. */
export const STORED_OUTBOUND_ALLOW_SQL = "SELECT allow_entries FROM instance_outbound_settings WHERE id = 1";

/** The board's stored allow-list (empty when never set). */
export async function readStoredOutboundAllow(
  q: Queryable,
): Promise<{ allow: string[]; updatedAt: string | null; updatedBy: string | null }> {
  const [row] = await q.query<{ allowEntries: string[]; updatedAt: Date | string; updatedBy: string | null }>(
    "SELECT allow_entries, updated_at, updated_by FROM instance_outbound_settings WHERE id = 1",
  );
  if (!row) return { allow: [], updatedAt: null, updatedBy: null };
  const updatedAt = row.updatedAt instanceof Date ? row.updatedAt.toISOString() : String(row.updatedAt);
  return { allow: row.allowEntries ?? [], updatedAt, updatedBy: row.updatedBy };
}

/** What a run (or an environment test) is allowed beyond public addresses: the operator's entries plus the board's. */
export const combineOutboundAllow = (envAllow: readonly string[], stored: readonly string[] | null): string[] => [
  ...envAllow,
  ...(stored ?? []),
];

/** {@link combineOutboundAllow} with the board's entries read now. */
export async function effectiveOutboundAllow(q: Queryable, envAllow: readonly string[]): Promise<string[]> {
  const { allow } = await readStoredOutboundAllow(q);
  return combineOutboundAllow(envAllow, allow);
}

/**
 * Replaces the board's list. Entries are trimmed and de-duplicated; every entry must parse (exact
 * host[:port], address[:port] or CIDR) or nothing is stored and the error names each bad entry.
 */
export async function writeStoredOutboundAllow(q: Queryable, entries: readonly string[], userId: string): Promise<string[]> {
  const allow = [...new Set(entries.map((e) => e.trim()))];
  if (allow.length > MAX_OUTBOUND_ALLOW_ENTRIES) {
    throw validationError(`allow may hold at most ${MAX_OUTBOUND_ALLOW_ENTRIES} entries (got ${allow.length})`);
  }
  const problems = allowListProblems(allow);
  if (problems.length > 0) {
    throw validationError(`Invalid outbound allow-list entries: ${problems.join("; ")}`, {
      problems,
      expected: `exact host[:port] (hooks.lan:8080), address[:port] (192.168.1.5, [::1]:8080) or CIDR (10.0.0.0/8), each at most ${MAX_ALLOW_ENTRY_LENGTH} characters`,
    });
  }
  await q.query(
    `INSERT INTO instance_outbound_settings (id, allow_entries, updated_at, updated_by) VALUES (1, $1::text[], now(), $2)
     ON CONFLICT (id) DO UPDATE SET allow_entries = EXCLUDED.allow_entries, updated_at = now(), updated_by = EXCLUDED.updated_by`,
    [allow, userId],
  );
  return allow;
}
