import {
  isUuid,
  type AgentSecretList,
  type AgentSecretValue,
  type CompanySecret,
  type CreateSecretBody,
  type UpdateSecretBody,
} from "@staple/contracts";
import type { Database, Queryable } from "../db/database.js";
import { pgConstraint, pgErrorCode, PG_UNIQUE_VIOLATION } from "../db/database.js";
import { conflict, notFound, ruleViolation } from "../errors.js";
import type { Actor } from "../auth/actor.js";
import { assertAgent, assertBoard, assertCanSee, assertCompanyAccess } from "../auth/access.js";
import { recordActivity } from "../activity/record.js";
import { secretAad, type Keyring } from "./keyring.js";

/**
 * The company secrets store (docs/secrets.md).
 *
 * Invariants:
 * - A value enters through `create`/`rotate` (board only) and leaves only through `readForAgent` (an
 *   agent with a grant; each read is an activity row) and the run engine's resolution of secret_ref
 *   entries (secrets/run-secrets.ts). Every other answer carries `valueMask` and `fingerprint`.
 * - Activity rows name the secret, its key and version, never its value or fingerprint.
 * - Writes run in one transaction with their activity row.
 */

export const VALUE_MASK = "********";

const SECRET_COLUMNS = `s.id, s.company_id, s.key, s.name, s.description, 'local_encrypted' AS provider, s.latest_version,
  '${VALUE_MASK}' AS value_mask, s.fingerprint,
  coalesce((SELECT array_agg(g.agent_id ORDER BY g.created_at, g.agent_id) FROM agent_secret_grants g WHERE g.secret_id = s.id), '{}'::uuid[]) AS granted_agent_ids,
  s.created_at, s.updated_at, s.rotated_at`;

/** A secret key derived from a display name: every character outside [A-Za-z0-9_.-] becomes "_". */
export function keyFromName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 120) || "secret";
}

function keyTaken(error: unknown, key: string): unknown {
  if (pgErrorCode(error) === PG_UNIQUE_VIOLATION && pgConstraint(error) === "company_secrets_company_key_key") {
    return conflict(`A secret with key "${key}" already exists in this company`, { key }, "secret_key_taken");
  }
  return error;
}

/** Inserts one encrypted version; `version` 1 on create. */
async function insertVersion(q: Queryable, keyring: Keyring, secretId: string, version: number, value: string): Promise<string> {
  const box = keyring.encrypt(value, secretAad(secretId, version));
  const fingerprint = keyring.fingerprint(secretId, value);
  await q.query(
    `INSERT INTO company_secret_versions (secret_id, version, ciphertext, iv, auth_tag, key_id, fingerprint)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [secretId, version, box.ciphertext, box.iv, box.authTag, box.keyId, fingerprint],
  );
  return fingerprint;
}

export interface VersionRow {
  secretId: string;
  version: number;
  ciphertext: Uint8Array;
  iv: Uint8Array;
  authTag: Uint8Array;
  keyId: string;
}

export const boxOf = (row: VersionRow) => ({
  ciphertext: Buffer.from(row.ciphertext),
  iv: Buffer.from(row.iv),
  authTag: Buffer.from(row.authTag),
  keyId: row.keyId,
});

/** Creates a secret with its first version and grants in `q` (shared by the API and the upgrade move). */
export async function insertSecret(
  q: Queryable,
  keyring: Keyring,
  input: { companyId: string; key: string; name: string; description: string | null; value: string; userId: string | null },
): Promise<string> {
  const [row] = await q.query<{ id: string }>(
    `INSERT INTO company_secrets (company_id, key, name, description, fingerprint, created_by_user_id)
     VALUES ($1, $2, $3, $4, '', $5) RETURNING id`,
    [input.companyId, input.key, input.name, input.description, input.userId],
  );
  const fingerprint = await insertVersion(q, keyring, row!.id, 1, input.value);
  await q.query("UPDATE company_secrets SET fingerprint = $2 WHERE id = $1", [row!.id, fingerprint]);
  return row!.id;
}

export function createSecretStore(db: Database, keyring: Keyring) {
  async function fetch(q: Queryable, id: string): Promise<CompanySecret | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await q.query<CompanySecret>(`SELECT ${SECRET_COLUMNS} FROM company_secrets s WHERE s.id = $1`, [id]);
    return row;
  }

  async function visible(actor: Actor, id: string): Promise<CompanySecret> {
    assertBoard(actor);
    const secret = await fetch(db, id);
    if (!secret) throw notFound("Secret not found");
    assertCanSee(actor, secret.companyId, "Secret");
    return secret;
  }

  async function requireAgentOf(q: Queryable, companyId: string, agentId: string): Promise<{ id: string; name: string }> {
    const [agent] = await q.query<{ id: string; name: string }>("SELECT id, name FROM agents WHERE id = $1 AND company_id = $2", [
      agentId,
      companyId,
    ]);
    if (!agent) throw ruleViolation("agentId must be an agent of the secret's company", { agentId }, "secret_grant_agent_invalid");
    return agent;
  }

  async function grantIn(q: Queryable, actor: Actor, secret: { id: string; companyId: string; key: string }, agentId: string) {
    const agent = await requireAgentOf(q, secret.companyId, agentId);
    const inserted = await q.query(
      `INSERT INTO agent_secret_grants (secret_id, agent_id, company_id, granted_by_user_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING agent_id`,
      [secret.id, agent.id, secret.companyId, actor.kind === "board" ? actor.userId : null],
    );
    if (inserted.length > 0) {
      await recordActivity(q, {
        companyId: secret.companyId,
        actor,
        action: "secret.granted",
        entityType: "secret",
        entityId: secret.id,
        agentId: agent.id,
        details: { key: secret.key, agentId: agent.id, agentName: agent.name },
      });
    }
  }

  return {
    async list(actor: Actor, companyId: string): Promise<CompanySecret[]> {
      assertBoard(actor);
      assertCompanyAccess(actor, companyId);
      return db.query<CompanySecret>(
        `SELECT ${SECRET_COLUMNS} FROM company_secrets s WHERE s.company_id = $1 ORDER BY lower(s.key), s.id`,
        [companyId],
      );
    },

    get: visible,

    async create(actor: Actor, companyId: string, body: CreateSecretBody): Promise<CompanySecret> {
      assertBoard(actor);
      assertCompanyAccess(actor, companyId);
      const key = body.key ?? keyFromName(body.name);
      try {
        return await db.tx(async (q) => {
          const id = await insertSecret(q, keyring, {
            companyId,
            key,
            name: body.name,
            description: body.description ?? null,
            value: body.value,
            userId: actor.userId,
          });
          await recordActivity(q, {
            companyId,
            actor,
            action: "secret.created",
            entityType: "secret",
            entityId: id,
            details: { key, name: body.name, version: 1 },
          });
          for (const agentId of new Set(body.agentIds ?? [])) await grantIn(q, actor, { id, companyId, key }, agentId);
          return (await fetch(q, id))!;
        });
      } catch (error) {
        throw keyTaken(error, key);
      }
    },

    async update(actor: Actor, id: string, body: UpdateSecretBody): Promise<CompanySecret> {
      const before = await visible(actor, id);
      try {
        return await db.tx(async (q) => {
          await q.query(
            `UPDATE company_secrets SET name = coalesce($2, name), key = coalesce($3, key),
                    description = CASE WHEN $4::boolean THEN $5 ELSE description END, updated_at = now()
              WHERE id = $1`,
            [before.id, body.name ?? null, body.key ?? null, body.description !== undefined, body.description ?? null],
          );
          await recordActivity(q, {
            companyId: before.companyId,
            actor,
            action: "secret.updated",
            entityType: "secret",
            entityId: before.id,
            details: { key: body.key ?? before.key, changedFields: Object.keys(body) },
          });
          return (await fetch(q, before.id))!;
        });
      } catch (error) {
        throw keyTaken(error, body.key ?? before.key);
      }
    },

    /** A new value becomes the latest version; runs started after this read it. */
    async rotate(actor: Actor, id: string, value: string): Promise<CompanySecret> {
      const found = await visible(actor, id);
      return db.tx(async (q) => {
        const [locked] = await q.query<{ latestVersion: number }>("SELECT latest_version FROM company_secrets WHERE id = $1 FOR UPDATE", [
          found.id,
        ]);
        if (!locked) throw notFound("Secret not found");
        const version = locked.latestVersion + 1;
        const fingerprint = await insertVersion(q, keyring, found.id, version, value);
        await q.query(
          "UPDATE company_secrets SET latest_version = $2, fingerprint = $3, rotated_at = now(), updated_at = now() WHERE id = $1",
          [found.id, version, fingerprint],
        );
        await recordActivity(q, {
          companyId: found.companyId,
          actor,
          action: "secret.rotated",
          entityType: "secret",
          entityId: found.id,
          details: { key: found.key, version },
        });
        return (await fetch(q, found.id))!;
      });
    },

    /** Deletes the secret, its versions and grants; configs still naming it fail their next run. */
    async remove(actor: Actor, id: string): Promise<CompanySecret> {
      const found = await visible(actor, id);
      return db.tx(async (q) => {
        await q.query("DELETE FROM company_secrets WHERE id = $1", [found.id]);
        await recordActivity(q, {
          companyId: found.companyId,
          actor,
          action: "secret.deleted",
          entityType: "secret",
          entityId: found.id,
          details: { key: found.key, name: found.name },
        });
        return found;
      });
    },

    async grant(actor: Actor, id: string, agentId: string): Promise<CompanySecret> {
      const found = await visible(actor, id);
      return db.tx(async (q) => {
        await grantIn(q, actor, found, agentId);
        return (await fetch(q, found.id))!;
      });
    },

    async revoke(actor: Actor, id: string, agentId: string): Promise<CompanySecret> {
      const found = await visible(actor, id);
      return db.tx(async (q) => {
        const removed = await q.query("DELETE FROM agent_secret_grants WHERE secret_id = $1 AND agent_id = $2 RETURNING agent_id", [
          found.id,
          isUuid(agentId) ? agentId : null,
        ]);
        if (removed.length > 0) {
          await recordActivity(q, {
            companyId: found.companyId,
            actor,
            action: "secret.revoked",
            entityType: "secret",
            entityId: found.id,
            agentId,
            details: { key: found.key, agentId },
          });
        }
        return (await fetch(q, found.id))!;
      });
    },

    /** The secrets granted to the calling agent: metadata only. */
    async listForAgent(actor: Actor): Promise<AgentSecretList> {
      assertAgent(actor);
      const rows = await db.query<{ id: string; key: string; name: string; description: string | null; latestVersion: number }>(
        `SELECT s.id, s.key, s.name, s.description, s.latest_version FROM agent_secret_grants g JOIN company_secrets s ON s.id = g.secret_id
          WHERE g.agent_id = $1 AND s.company_id = $2 ORDER BY lower(s.key), s.id`,
        [actor.agentId, actor.companyId],
      );
      return {
        secrets: rows.map((r) => ({
          secretRef: r.id,
          key: r.key,
          name: r.name,
          description: r.description,
          delivery: "api" as const,
          latestVersion: r.latestVersion,
          versionSelector: "latest" as const,
          resolvedVersion: r.latestVersion,
        })),
      };
    },

    /**
     * The latest value of a granted secret, by key (or id). Not granted and unknown answer the same 404,
     * so an agent cannot probe which keys exist. The read is recorded in the same transaction.
     */
    async readForAgent(actor: Actor, keyOrId: string): Promise<AgentSecretValue> {
      assertAgent(actor);
      return db.tx(async (q) => {
        const [row] = await q.query<VersionRow & { key: string }>(
          `SELECT s.key, v.secret_id, v.version, v.ciphertext, v.iv, v.auth_tag, v.key_id
             FROM agent_secret_grants g
             JOIN company_secrets s ON s.id = g.secret_id
             JOIN company_secret_versions v ON v.secret_id = s.id AND v.version = s.latest_version
            WHERE g.agent_id = $1 AND s.company_id = $2 AND (s.key = $3 OR s.id::text = $3)`,
          [actor.agentId, actor.companyId, keyOrId],
        );
        if (!row) throw notFound(`No secret "${keyOrId}" is granted to this agent`);
        let value: string;
        try {
          value = keyring.decrypt(boxOf(row), secretAad(row.secretId, row.version));
        } catch {
          // A master key that is not configured any more, or a tampered row: nothing to answer.
          throw conflict(
            `Secret "${row.key}" cannot be decrypted with the server's master keys; the operator must configure the key it was stored under`,
            { key: row.key },
            "secret_undecryptable",
          );
        }
        await recordActivity(q, {
          companyId: actor.companyId,
          actor,
          action: "secret.read",
          entityType: "secret",
          entityId: row.secretId,
          details: { key: row.key, version: row.version, via: actor.via },
        });
        return { key: row.key, value, version: row.version };
      });
    },
  };
}
export type SecretStore = ReturnType<typeof createSecretStore>;
