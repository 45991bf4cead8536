import type { Queryable } from "../db/database.js";
import { ruleViolation } from "../errors.js";

/**
 * Save-time check of `{type: "secret_ref", secretId}` env entries: each must name a secret of the
 * agent's company (a 422 `secret_ref_unknown` naming the entry otherwise). Grants are not required
 * here: the board may grant after saving, and a run without the grant fails with
 * `secret_ref_not_granted` (secrets/run-secrets.ts). The shape itself (a uuid) is the adapter schema's.
 */
export async function assertSecretRefsExist(q: Queryable, companyId: string, config: unknown): Promise<void> {
  if (typeof config !== "object" || config === null) return;
  const env = (config as { env?: unknown }).env;
  if (typeof env !== "object" || env === null || Array.isArray(env)) return;
  const refs = Object.entries(env as Record<string, unknown>).flatMap(([name, entry]) =>
    typeof entry === "object" && entry !== null && (entry as { type?: unknown }).type === "secret_ref"
      ? [{ name, secretId: String((entry as { secretId?: unknown }).secretId) }]
      : [],
  );
  if (refs.length === 0) return;
  const found = new Set(
    (
      await q.query<{ id: string }>("SELECT id::text AS id FROM company_secrets WHERE company_id = $1 AND id::text = ANY($2::text[])", [
        companyId,
        refs.map((r) => r.secretId.toLowerCase()),
      ])
    ).map((r) => r.id),
  );
  const missing = refs.filter((r) => !found.has(r.secretId.toLowerCase()));
  if (missing.length) {
    throw ruleViolation(
      `${missing.map((r) => `adapterConfig.env.${r.name}`).join(", ")} names a secret that does not exist in this company`,
      missing.map((r) => ({ path: ["adapterConfig", "env", r.name], message: `no secret ${r.secretId} in this company` })),
      "secret_ref_unknown",
    );
  }
}
