import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Queryable } from "../db/database.js";
import { notFound } from "../errors.js";

/**
 * Board credentials. A request is the board only when it carries one of these (SECURITY.md has
 * the threat model):
 * - a board API key, `stb_` + 48 hex, sent as `Authorization: Bearer …`. The `staple` CLI reads one
 *   from the token file `$STAPLE_HOME/board-token` (mode 0600) that the server writes at start;
 *   `paperclipai --api-key` and curl send it the same way.
 * - a board session: an HTTP-only SameSite=Strict cookie that the server sets when a person opens a
 *   one-time login link (printed at start, or minted by the CLI with `staple board`).
 * Only sha256 hashes are stored. Agent processes never receive either credential: their environment
 * is built from an allow-list, and the engine scrubs the board variable names from it.
 */
export const BOARD_KEY_RE = /^stb_[0-9a-f]{48}$/;
export const BOARD_TOKEN_FILE = "board-token";
export const SESSION_COOKIE = "staple_session";
/** Environment variables that may carry a board credential; never passed to agent processes. */
export const BOARD_CREDENTIAL_ENV_VARS: readonly string[] = Object.freeze([
  "STAPLE_API_KEY",
  "STAPLE_BOARD_TOKEN",
  "PAPERCLIP_BOARD_API_KEY",
]);

export const SESSION_TTL_MS = 30 * 24 * 3600_000;
export const LOGIN_LINK_TTL_MS = 24 * 3600_000;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
export const hashBoardSecret = sha256;

export interface BoardKeyRow {
  id: string;
  userId: string;
  name: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface BoardPrincipal {
  /** The key's or the session's id: what a revocation names. */
  credentialId: string;
  userId: string;
}

const KEY_COLUMNS = "id, user_id, name, created_at, expires_at, last_used_at, revoked_at";

export function createBoardCredentials(db: Queryable) {
  async function insertKey(userId: string, name: string, token: string, expiresAt: string | null = null): Promise<BoardKeyRow> {
    const [row] = await db.query<BoardKeyRow>(
      `INSERT INTO board_api_keys (user_id, name, key_hash, expires_at) VALUES ($1, $2, $3, $4) RETURNING ${KEY_COLUMNS}`,
      [userId, name, sha256(token), expiresAt],
    );
    return row!;
  }

  return {
    async createKey(userId: string, name: string, expiresAt: string | null = null): Promise<BoardKeyRow & { token: string }> {
      const token = `stb_${randomBytes(24).toString("hex")}`;
      return { ...(await insertKey(userId, name, token, expiresAt)), token };
    },

    listKeys(userId: string): Promise<BoardKeyRow[]> {
      return db.query(`SELECT ${KEY_COLUMNS} FROM board_api_keys WHERE user_id = $1 ORDER BY created_at, id`, [userId]);
    },

    async revokeKey(userId: string, keyId: string): Promise<BoardKeyRow> {
      const [row] = await db.query<BoardKeyRow>(
        `UPDATE board_api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND user_id = $2 RETURNING ${KEY_COLUMNS}`,
        [keyId, userId],
      );
      if (!row) throw notFound("Board API key not found");
      return row;
    },

    /** The key's principal, or null when the token is unknown, revoked or expired. */
    async resolveKey(token: string): Promise<BoardPrincipal | null> {
      const [row] = await db.query<{ id: string; userId: string; name: string; stale: boolean; audit: boolean }>(
        `SELECT id, user_id, name, (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') AS stale,
                (last_used_at IS NULL OR last_used_at < now() - interval '1 hour') AS audit
           FROM board_api_keys
          WHERE key_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
        [sha256(token)],
      );
      if (!row) return null;
      // At most one write a minute per key, not one per request.
      if (row.stale) await db.query("UPDATE board_api_keys SET last_used_at = now() WHERE id = $1", [row.id]);
      // Key use is audited at most once an hour per key (first use, then after an hour's quiet), in the
      // trail of each company the key's user belongs to: enough to see which key acts, without a row per request.
      if (row.audit) {
        await db.query(
          `INSERT INTO activity_log (company_id, actor_type, actor_id, action, entity_type, entity_id, details)
           SELECT company_id, 'user', $1, 'board_api_key.used', 'user', $1, jsonb_build_object('boardApiKeyId', $2::text, 'name', $3::text)
             FROM company_memberships WHERE user_id = $1`,
          [row.userId, row.id, row.name],
        );
      }
      return { credentialId: row.id, userId: row.userId };
    },

    async resolveSession(token: string): Promise<BoardPrincipal | null> {
      const [row] = await db.query<{ id: string; userId: string; stale: boolean }>(
        `SELECT id, user_id, (last_seen_at IS NULL OR last_seen_at < now() - interval '1 minute') AS stale
           FROM board_sessions
          WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()`,
        [sha256(token)],
      );
      if (!row) return null;
      if (row.stale) await db.query("UPDATE board_sessions SET last_seen_at = now() WHERE id = $1", [row.id]);
      return { credentialId: row.id, userId: row.userId };
    },

    /** Whether a board credential (key or session) is still valid: live streams re-check with this. */
    async isLive(credentialId: string): Promise<boolean> {
      const rows = await db.query(
        `SELECT 1 FROM board_api_keys WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
         UNION ALL
         SELECT 1 FROM board_sessions WHERE id = $1 AND revoked_at IS NULL AND expires_at > now()`,
        [credentialId],
      );
      return rows.length > 0;
    },

    /** A single-use login code; the link built from it turns into a session cookie. */
    async createLoginLink(userId: string, ttlMs = LOGIN_LINK_TTL_MS): Promise<{ code: string; expiresAt: string }> {
      const code = randomBytes(24).toString("base64url");
      const [row] = await db.query<{ expiresAt: string }>(
        `INSERT INTO board_login_links (user_id, code_hash, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3::double precision / 1000))
         RETURNING expires_at`,
        [userId, sha256(code), ttlMs],
      );
      return { code, expiresAt: row!.expiresAt };
    },

    /**
     * Redeems a login code exactly once (a guarded update: two concurrent redemptions cannot both
     * win) and opens a session. Null when the code is unknown, used or expired.
     */
    async redeemLoginLink(
      code: string,
      userAgent: string | undefined,
    ): Promise<{ token: string; sessionId: string; expiresAt: string } | null> {
      const [link] = await db.query<{ userId: string }>(
        `UPDATE board_login_links SET used_at = now()
          WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()
          RETURNING user_id`,
        [sha256(code)],
      );
      if (!link) return null;
      const token = randomBytes(32).toString("hex");
      const [session] = await db.query<{ id: string; expiresAt: string }>(
        `INSERT INTO board_sessions (user_id, token_hash, expires_at, user_agent)
         VALUES ($1, $2, now() + make_interval(secs => $3::double precision / 1000), $4) RETURNING id, expires_at`,
        [link.userId, sha256(token), SESSION_TTL_MS, userAgent?.slice(0, 300) ?? null],
      );
      return { token, sessionId: session!.id, expiresAt: session!.expiresAt };
    },

    async revokeSession(sessionId: string): Promise<void> {
      await db.query("UPDATE board_sessions SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1", [sessionId]);
    },

    /**
     * The token file the CLI reads. Reuses the file's token while the database still honours it
     * (the same home may be reopened against the same database); otherwise mints a new key and
     * rewrites the file. The file is created with mode 0600 and replaced atomically.
     */
    async ensureTokenFile(home: string, userId: string): Promise<string> {
      const file = path.join(home, BOARD_TOKEN_FILE);
      let existing: string | undefined;
      try {
        existing = fs.readFileSync(file, "utf8").trim();
      } catch {
        /* no file yet */
      }
      if (existing && BOARD_KEY_RE.test(existing)) {
        const [row] = await db.query<{ revoked: boolean }>(
          "SELECT (revoked_at IS NOT NULL OR (expires_at IS NOT NULL AND expires_at <= now())) AS revoked FROM board_api_keys WHERE key_hash = $1",
          [sha256(existing)],
        );
        if (row && !row.revoked) return existing;
        if (!row) {
          // A token file whose database is new (or was swapped): the file's holder is the operator.
          await insertKey(userId, "token file", existing);
          return existing;
        }
      }
      const { token } = await this.createKey(userId, "token file");
      fs.mkdirSync(home, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
      fs.chmodSync(tmp, 0o600);
      fs.renameSync(tmp, file);
      return token;
    },
  };
}

export type BoardCredentials = ReturnType<typeof createBoardCredentials>;

/** The value of one cookie from a Cookie header (no library needed for reading a single name). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}
