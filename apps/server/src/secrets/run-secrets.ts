import type { Queryable } from "../db/database.js";
import { decryptWithKnownKey, secretAad } from "./keyring.js";
import { boxOf, type VersionRow } from "./store.js";

/**
 * Resolution of `{type: "secret_ref", secretId}` env entries when a run starts.
 *
 * Invariants:
 * - Each ref becomes `{type: "secret", value}`, the form every adapter already registers for redaction
 *   and passes only through the environment; the stored config is never rewritten.
 * - A ref to a secret that does not exist (or belongs to another company) fails the run with
 *   `secret_ref_unknown`; a ref to a secret not granted to the agent fails it with
 *   `secret_ref_not_granted`; a value no configured master key decrypts fails it with
 *   `secret_ref_undecryptable`. Nothing is started in any of those cases.
 * - `redact` holds every value granted to the agent (not only the referenced ones), so a value the
 *   agent fetched through the API is redacted from its run log too.
 */

export class SecretRefError extends Error {
  constructor(
    readonly code: "secret_ref_unknown" | "secret_ref_not_granted" | "secret_ref_undecryptable",
    message: string,
  ) {
    super(message);
  }
}

function isRef(entry: unknown): entry is { type: "secret_ref"; secretId: string } {
  return (
    typeof entry === "object" &&
    entry !== null &&
    (entry as { type?: unknown }).type === "secret_ref" &&
    typeof (entry as { secretId?: unknown }).secretId === "string"
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ResolvedRunSecrets {
  config: Record<string, unknown>;
  redact: string[];
}

/** Decrypts the latest version of the given secrets; the map holds only those it could decrypt. */
async function latestValues(q: Queryable, companyId: string, secretIds: readonly string[]) {
  const rows = secretIds.length
    ? await q.query<VersionRow>(
        `SELECT v.secret_id, v.version, v.ciphertext, v.iv, v.auth_tag, v.key_id
           FROM company_secrets s JOIN company_secret_versions v ON v.secret_id = s.id AND v.version = s.latest_version
          WHERE s.company_id = $1 AND s.id = ANY($2::uuid[])`,
        [companyId, secretIds],
      )
    : [];
  const values = new Map<string, string | null>();
  for (const row of rows) values.set(row.secretId, decryptWithKnownKey(boxOf(row), secretAad(row.secretId, row.version)));
  return values;
}

/** The ids of the secrets granted to agent `agentAlias` (an `agents` row in the query), as a text[] subquery. */
export const grantedSecretIdsSql = (agentAlias: string) =>
  `ARRAY(SELECT g.secret_id::text FROM agent_secret_grants g WHERE g.agent_id = ${agentAlias}.id AND g.company_id = ${agentAlias}.company_id ORDER BY g.secret_id)`;

/**
 * `grantedIds`: the agent's grants when the caller loaded them with the agent (grantedSecretIdsSql);
 * otherwise they are read here.
 */
export async function resolveRunSecrets(
  q: Queryable,
  agent: { id: string; companyId: string },
  config: Record<string, unknown>,
  grantedIds?: readonly string[],
): Promise<ResolvedRunSecrets> {
  const env = config.env;
  const refs =
    typeof env === "object" && env !== null && !Array.isArray(env)
      ? Object.entries(env as Record<string, unknown>).filter((e): e is [string, { type: "secret_ref"; secretId: string }] => isRef(e[1]))
      : [];
  const granted =
    grantedIds ??
    (
      await q.query<{ secretId: string }>("SELECT secret_id FROM agent_secret_grants WHERE agent_id = $1 AND company_id = $2", [
        agent.id,
        agent.companyId,
      ])
    ).map((r) => r.secretId);
  const refIds = refs.map(([, r]) => r.secretId).filter((id) => UUID.test(id));
  const values = await latestValues(q, agent.companyId, [...new Set([...granted, ...refIds])]);
  const grantedSet = new Set(granted);
  const resolvedEnv: Record<string, unknown> = { ...(env as Record<string, unknown> | undefined) };
  for (const [name, ref] of refs) {
    if (!values.has(ref.secretId)) {
      throw new SecretRefError(
        "secret_ref_unknown",
        `adapterConfig.env.${name} names secret ${ref.secretId}, which does not exist in this company`,
      );
    }
    if (!grantedSet.has(ref.secretId)) {
      throw new SecretRefError(
        "secret_ref_not_granted",
        `adapterConfig.env.${name} names secret ${ref.secretId}, which is not granted to this agent; grant it on the Secrets page`,
      );
    }
    const value = values.get(ref.secretId);
    if (value == null) {
      throw new SecretRefError(
        "secret_ref_undecryptable",
        `adapterConfig.env.${name}: secret ${ref.secretId} cannot be decrypted with the configured master keys`,
      );
    }
    resolvedEnv[name] = { type: "secret", value };
  }
  const redact = granted.map((id) => values.get(id)).filter((v): v is string => typeof v === "string");
  return { config: refs.length ? { ...config, env: resolvedEnv } : config, redact };
}
