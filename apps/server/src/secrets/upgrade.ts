import type { Database, Queryable } from "../db/database.js";
import { recordActivity } from "../activity/record.js";
import { isStoredSecret } from "./secret-env.js";
import { decryptWithKnownKey, secretAad, type Keyring } from "./keyring.js";
import { boxOf, insertSecret, keyFromName, type VersionRow } from "./store.js";

/**
 * Start-up passes that keep secrets in the store, both idempotent (each finds nothing on a second run).
 *
 * `moveInlineSecrets`: inline env secrets (`{type: "secret", value}`) in agents' configs and in their
 * config-revision snapshots become store secrets granted to that agent, and the entries become
 * `{type: "secret_ref", secretId}`. One secret per distinct (agent, env name, value): the current
 * config's values are moved first and get the plain key `<agent url key>_<ENV NAME>`; older values
 * found only in revisions get the same key with a numeric suffix. One transaction per agent, with the
 * agent row locked, so a concurrent config write waits instead of losing the move.
 *
 * `reencryptToCurrentKey`: every version whose key id is not the current master key's is decrypted
 * with the key that encrypted it and re-encrypted under the current key (master-key rotation).
 */

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every `adapterConfig.env` of an agent row snapshot (or config), rewritten by `fn` where it has inline secrets. */
function rewriteEnv(config: unknown, fn: (name: string, value: string) => string): { changed: boolean; config: unknown } {
  if (!isObject(config) || !isObject(config.env)) return { changed: false, config };
  let changed = false;
  const env: Json = {};
  for (const [name, entry] of Object.entries(config.env)) {
    if (isStoredSecret(entry)) {
      env[name] = { type: "secret_ref", secretId: fn(name, entry.value) };
      changed = true;
    } else env[name] = entry;
  }
  return changed ? { changed, config: { ...config, env } } : { changed, config };
}

async function freeKey(q: Queryable, companyId: string, base: string): Promise<string> {
  const taken = new Set(
    (
      await q.query<{ key: string }>("SELECT key FROM company_secrets WHERE company_id = $1 AND (key = $2 OR key LIKE $3)", [
        companyId,
        base,
        `${base.replace(/[\\%_]/g, "\\$&")}\\_%`,
      ])
    ).map((r) => r.key),
  );
  if (!taken.has(base)) return base;
  for (let i = 2; i < 10_000; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
  throw new Error(`no free secret key for ${base}`);
}

export async function moveInlineSecrets(db: Database, keyring: Keyring): Promise<number> {
  const candidates = await db.query<{ id: string }>(
    `SELECT DISTINCT a.id FROM agents a
      WHERE EXISTS (SELECT 1 FROM jsonb_each(CASE WHEN jsonb_typeof(a.adapter_config->'env') = 'object' THEN a.adapter_config->'env' ELSE '{}'::jsonb END) e
                     WHERE jsonb_typeof(e.value) = 'object' AND e.value->>'type' = 'secret' AND jsonb_typeof(e.value->'value') = 'string')
         OR EXISTS (SELECT 1 FROM agent_config_revisions r WHERE r.agent_id = a.id
                     AND (r.before_config::text LIKE '%"type": "secret"%' OR r.after_config::text LIKE '%"type": "secret"%'))`,
  );
  let moved = 0;
  for (const { id } of candidates) {
    moved += await db.tx(async (q) => {
      const [agent] = await q.query<{ id: string; companyId: string; urlKey: string | null; name: string; adapterConfig: Json }>(
        "SELECT id, company_id, url_key, name, adapter_config FROM agents WHERE id = $1 FOR NO KEY UPDATE",
        [id],
      );
      if (!agent) return 0;
      const pending: { name: string; value: string; secretId: string }[] = [];
      const idFor = (name: string, value: string) => {
        let index = pending.findIndex((p) => p.name === name && p.value === value);
        if (index === -1) index = pending.push({ name, value, secretId: "" }) - 1;
        return `pending:${index}`;
      };
      // First pass collects the distinct values (placeholders), then they are stored, then substituted.
      const current = rewriteEnv(agent.adapterConfig, idFor);
      const revisions = await q.query<{ id: string; beforeConfig: Json; afterConfig: Json }>(
        "SELECT id, before_config, after_config FROM agent_config_revisions WHERE agent_id = $1 ORDER BY created_at DESC, id DESC",
        [id],
      );
      const revised = revisions.map((r) => ({
        id: r.id,
        before: rewriteEnv(r.beforeConfig?.adapterConfig, idFor),
        after: rewriteEnv(r.afterConfig?.adapterConfig, idFor),
        row: r,
      }));
      if (pending.length === 0) return 0;
      const base = keyFromName(`${agent.urlKey ?? agent.name}`);
      for (const p of pending) {
        const key = await freeKey(q, agent.companyId, `${base}_${p.name}`.slice(0, 120));
        p.secretId = await insertSecret(q, keyring, {
          companyId: agent.companyId,
          key,
          name: `${agent.name}: ${p.name}`,
          description: `Moved from ${agent.name}'s adapterConfig.env.${p.name} on upgrade`,
          value: p.value,
          userId: null,
        });
        await q.query("INSERT INTO agent_secret_grants (secret_id, agent_id, company_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [
          p.secretId,
          agent.id,
          agent.companyId,
        ]);
        await recordActivity(q, {
          companyId: agent.companyId,
          actor: "system",
          action: "secret.created",
          entityType: "secret",
          entityId: p.secretId,
          agentId: agent.id,
          details: { key, version: 1, movedFromAgentId: agent.id, env: p.name, grantedAgentIds: [agent.id] },
        });
      }
      const substitute = (config: unknown): unknown => {
        if (!isObject(config) || !isObject(config.env)) return config;
        const env: Json = {};
        for (const [name, entry] of Object.entries(config.env)) {
          const placeholder = isObject(entry) && entry.type === "secret_ref" && typeof entry.secretId === "string" ? entry.secretId : "";
          env[name] = placeholder.startsWith("pending:")
            ? { type: "secret_ref", secretId: pending[Number(placeholder.slice(8))]!.secretId }
            : entry;
        }
        return { ...config, env };
      };
      if (current.changed) {
        await q.query("UPDATE agents SET adapter_config = $2::jsonb WHERE id = $1", [agent.id, JSON.stringify(substitute(current.config))]);
      }
      for (const r of revised) {
        if (!r.before.changed && !r.after.changed) continue;
        await q.query("UPDATE agent_config_revisions SET before_config = $2::jsonb, after_config = $3::jsonb WHERE id = $1", [
          r.id,
          JSON.stringify({ ...r.row.beforeConfig, adapterConfig: substitute(r.before.config) }),
          JSON.stringify({ ...r.row.afterConfig, adapterConfig: substitute(r.after.config) }),
        ]);
      }
      return pending.length;
    });
  }
  return moved;
}

export async function reencryptToCurrentKey(db: Database, keyring: Keyring): Promise<number> {
  const stale = await db.query<VersionRow>(
    "SELECT secret_id, version, ciphertext, iv, auth_tag, key_id FROM company_secret_versions WHERE key_id <> $1",
    [keyring.currentKeyId],
  );
  let count = 0;
  for (const row of stale) {
    const aad = secretAad(row.secretId, row.version);
    const value = decryptWithKnownKey(boxOf(row), aad);
    // A key that is not configured any more: left as is (reads of it fail with a clear error).
    if (value === null) continue;
    const box = keyring.encrypt(value, aad);
    await db.query(
      "UPDATE company_secret_versions SET ciphertext = $3, iv = $4, auth_tag = $5, key_id = $6 WHERE secret_id = $1 AND version = $2 AND key_id = $7",
      [row.secretId, row.version, box.ciphertext, box.iv, box.authTag, box.keyId, row.keyId],
    );
    count++;
  }
  return count;
}
