import { createHash, randomBytes } from "node:crypto";
import type { Queryable } from "../db/database.js";
import { notFound, validationError } from "../errors.js";

/**
 * Runner tokens (docs/runners.md#tokens-and-registration): created and revoked by the board, scoped to
 * one company or to the instance (`companyId` null). The token is `strn_` + 48 hex, shown once; only
 * its SHA-256 is stored. A revoked token verifies as nothing from the next request on.
 */
export const RUNNER_TOKEN_RE = /^strn_[0-9a-f]{48}$/;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export interface RunnerTokenRow {
  id: string;
  companyId: string | null;
  name: string;
  tokenPrefix: string;
  createdByUserId: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** Who a verified runner token speaks for. */
export interface RunnerPrincipal {
  tokenId: string;
  /** Null: the instance (every company). */
  companyId: string | null;
}

const COLUMNS = "id, company_id, name, token_prefix, created_by_user_id, created_at, last_used_at, revoked_at";

export function createRunnerTokens(db: Queryable) {
  return {
    /** Creates a token; `token` is returned only here. */
    async create(input: { name: string; companyId: string | null; createdByUserId: string | null }) {
      const name = input.name.trim();
      if (name.length < 1 || name.length > 100) throw validationError("name must be 1 to 100 characters");
      const token = `strn_${randomBytes(24).toString("hex")}`;
      const [row] = await db.query<RunnerTokenRow>(
        `INSERT INTO runner_tokens (company_id, name, token_hash, token_prefix, created_by_user_id)
         VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
        [input.companyId, name, sha256(token), token.slice(0, 12), input.createdByUserId],
      );
      return { token, row: row! };
    },

    /** Tokens of a company (instance tokens too when `includeInstance`), never their hashes. */
    async list(filter: { companyId: string | null; includeInstance?: boolean }) {
      return db.query<RunnerTokenRow>(
        `SELECT ${COLUMNS} FROM runner_tokens
          WHERE company_id IS NOT DISTINCT FROM $1 OR ($2::boolean AND company_id IS NULL) ORDER BY created_at, id`,
        [filter.companyId, Boolean(filter.includeInstance)],
      );
    },

    /** Revokes a token (idempotent: a second revoke keeps the first time). */
    async revoke(id: string): Promise<RunnerTokenRow> {
      const [row] = await db.query<RunnerTokenRow>(
        `UPDATE runner_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
        [id],
      );
      if (!row) throw notFound("Runner token not found");
      return row;
    },

    /** The principal of a live token; undefined for anything else (malformed, unknown, revoked). */
    async verify(token: string): Promise<RunnerPrincipal | undefined> {
      if (!RUNNER_TOKEN_RE.test(token)) return undefined;
      const [row] = await db.query<RunnerPrincipal>(
        `UPDATE runner_tokens SET last_used_at = now() WHERE token_hash = $1 AND revoked_at IS NULL
         RETURNING id AS token_id, company_id`,
        [sha256(token)],
      );
      return row;
    },
  };
}
export type RunnerTokens = ReturnType<typeof createRunnerTokens>;
