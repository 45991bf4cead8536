import { createRedactor, REDACTED, redactDeep } from "@staple/adapter-kit";
import type { Queryable } from "../db/database.js";
import type { Actor } from "../auth/actor.js";
import { decryptWithKnownKey, secretAad } from "./keyring.js";
import { boxOf, type VersionRow } from "./store.js";

/**
 * Redaction of what an *agent* writes through the API (comments, documents and their revisions, work
 * products, issue title/description; activity details copy the redacted text). Board writes are stored
 * as sent: the board owns the secrets.
 *
 * What is replaced by "[REDACTED]":
 * - the latest values of the company's stored secrets (secrets/store.ts) and any inline secret env
 *   values still in the company's agents' configs (terminated ones included), when at least
 *   MIN_REDACTED_SECRET_CHARS long: a shorter value ("main", "true", "admin1") would blank ordinary
 *   words out of every comment and protects little. Run logs use the adapter kit's shorter floor
 *   because they are machine output, not prose;
 * - anything shaped like an agent API key (`pcp_` + 48 hex) or a JWT (three base64url segments, the
 *   first two starting with `eyJ`), which covers the run's own token without knowing it.
 *
 * Cost: two queries per write at most (decrypting the company's secrets), and none when no written string is long enough to hold a secret.
 */
export const MIN_REDACTED_SECRET_CHARS = 8;

const CREDENTIAL_SHAPES = /pcp_[0-9a-f]{48}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g;

export interface WriteRedactor {
  /** Redacts one string (null/undefined pass through). */
  text<T extends string | null | undefined>(value: T): T;
  /** Redacts every string (keys included) inside a JSON value; returns a copy. */
  deep<T>(value: T): T;
}

const identity: WriteRedactor = { text: (v) => v, deep: (v) => v };

function longestString(value: unknown, depth = 0): number {
  if (typeof value === "string") return value.length;
  if (depth > 64 || typeof value !== "object" || value === null) return 0;
  let max = 0;
  for (const [k, v] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    max = Math.max(max, typeof k === "string" ? k.length : 0, longestString(v, depth + 1));
  }
  return max;
}

/**
 * The redactor for one write by `actor` into `companyId`. `written` is what the write will store
 * (strings or JSON values); it only decides whether the secrets query is worth running.
 */
export async function agentWriteRedactor(
  q: Queryable,
  actor: Actor | "system",
  companyId: string,
  written: readonly unknown[],
): Promise<WriteRedactor> {
  if (actor === "system" || actor.kind !== "agent") return identity;
  const longest = Math.max(0, ...written.map((w) => longestString(w)));
  if (longest < MIN_REDACTED_SECRET_CHARS) return identity;
  const rows = await q.query<{ value: string }>(
    `SELECT DISTINCT e.value->>'value' AS value
       FROM agents a
      CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(a.adapter_config->'env') = 'object' THEN a.adapter_config->'env' ELSE '{}'::jsonb END) e
      WHERE a.company_id = $1 AND jsonb_typeof(e.value) = 'object' AND e.value->>'type' = 'secret'
        AND length(e.value->>'value') >= $2`,
    [companyId, MIN_REDACTED_SECRET_CHARS],
  );
  // Company secrets in the store (their latest values), decrypted with the master keys of this process.
  const stored = await q.query<VersionRow>(
    `SELECT v.secret_id, v.version, v.ciphertext, v.iv, v.auth_tag, v.key_id
       FROM company_secrets s JOIN company_secret_versions v ON v.secret_id = s.id AND v.version = s.latest_version
      WHERE s.company_id = $1`,
    [companyId],
  );
  const storedValues = stored
    .map((row) => decryptWithKnownKey(boxOf(row), secretAad(row.secretId, row.version)))
    .filter((v): v is string => v !== null && v.length >= MIN_REDACTED_SECRET_CHARS);
  const secrets = createRedactor([...rows.map((r) => r.value), ...storedValues]);
  const redact = (s: string) => secrets(s).replace(CREDENTIAL_SHAPES, REDACTED);
  return {
    text: (value) => (typeof value === "string" ? redact(value) : value) as typeof value,
    deep: (value) => redactDeep(value, redact),
  };
}
