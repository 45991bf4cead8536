import { randomBytes } from "node:crypto";
import type { CompanyRole } from "@staple/contracts";
import type { Database, Queryable } from "../db/database.js";
import { conflict, forbidden, notFound } from "../errors.js";
import { recordActivity } from "../activity/record.js";
import type { BoardActor } from "./actor.js";
import { hashBoardSecret, SESSION_TTL_MS } from "./board-credentials.js";
import { dummyPasswordHash, hashPassword, verifyPassword } from "./passwords.js";

/** Failed sign-ins allowed per email, and per client address, within the window. */
export const SIGN_IN_LIMITS = Object.freeze({ windowMinutes: 15, perEmail: 5, perIp: 30 });
export const SETUP_CODE_TTL_MS = 7 * 24 * 3600_000;

export interface UserRow {
  id: string;
  email: string | null;
  name: string | null;
  isInstanceAdmin: boolean;
}

export interface BoardScope {
  companyIds: "all" | readonly string[];
  roles?: Readonly<Record<string, CompanyRole>>;
}

export type SignInResult =
  | { kind: "signed_in"; user: UserRow; token: string; sessionId: string; expiresAt: string }
  | { kind: "rate_limited"; retryAfterSeconds: number }
  | { kind: "invalid" };

const USER_COLUMNS = "id, email, name, is_instance_admin";

/**
 * Users of the authenticated mode: the setup code, sign-up, sign-in (rate limited in the database,
 * per email and per client address), sessions in board_sessions, and the scope (companies and
 * roles) a user's board credentials carry.
 */
export function createUserService(db: Database) {
  async function openSession(q: Queryable, userId: string, userAgent: string | undefined) {
    const token = randomBytes(32).toString("hex");
    const [session] = await q.query<{ id: string; expiresAt: string }>(
      `INSERT INTO board_sessions (user_id, token_hash, expires_at, user_agent)
       VALUES ($1, $2, now() + make_interval(secs => $3::double precision / 1000), $4) RETURNING id, expires_at`,
      [userId, hashBoardSecret(token), SESSION_TTL_MS, userAgent?.slice(0, 300) ?? null],
    );
    return { token, sessionId: session!.id, expiresAt: session!.expiresAt };
  }

  /** Audit rows go to the companies the user belongs to (the activity trail is per company). */
  async function auditForUser(q: Queryable, userId: string, action: string, details: Record<string, unknown>) {
    const companies = await q.query<{ companyId: string }>("SELECT company_id FROM company_memberships WHERE user_id = $1", [userId]);
    const actor: BoardActor = { kind: "board", userId, source: "session", companyIds: "all" };
    for (const { companyId } of companies) {
      await recordActivity(q, { companyId, actor, action, entityType: "user", entityId: userId, details });
    }
  }

  return {
    async hasUsers(): Promise<boolean> {
      const [row] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE password_hash IS NOT NULL");
      return row!.n > 0;
    },

    /** A new one-time setup code (earlier unused ones stop working); only while no user exists. */
    async createSetupCode(): Promise<string | null> {
      if (await this.hasUsers()) return null;
      const code = randomBytes(24).toString("base64url");
      await db.tx(async (q) => {
        await q.query("UPDATE instance_setup_codes SET used_at = now() WHERE used_at IS NULL");
        await q.query(
          "INSERT INTO instance_setup_codes (code_hash, expires_at) VALUES ($1, now() + make_interval(secs => $2::double precision / 1000))",
          [hashBoardSecret(code), SETUP_CODE_TTL_MS],
        );
      });
      return code;
    },

    async getUser(id: string): Promise<UserRow> {
      const [row] = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
      if (!row) throw notFound("User not found");
      return row;
    },

    /**
     * Creates a user with a password and opens a session. Sign-up is closed: it needs the setup code
     * (the first user, who becomes the instance owner) or an invite (accepted by the caller).
     */
    async signUp(
      input: { email: string; password: string; name?: string; setupCode?: string },
      opts: { viaInvite: boolean; userAgent?: string },
      afterCreate?: (q: Queryable, user: UserRow) => Promise<void>,
    ) {
      if (!input.setupCode && !opts.viaInvite) {
        throw forbidden("Sign-up needs an invite link (or, for the first user, the setup code from the server log)", "sign_up_closed");
      }
      const passwordHash = await hashPassword(input.password);
      return db.tx(async (q) => {
        let instanceAdmin = false;
        if (input.setupCode) {
          const [used] = await q.query(
            "UPDATE instance_setup_codes SET used_at = now() WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING id",
            [hashBoardSecret(input.setupCode)],
          );
          if (!used) throw forbidden("Setup code is unknown, used or expired; restart the server for a new one", "setup_code_invalid");
          instanceAdmin = true;
        }
        const [existing] = await q.query("SELECT 1 FROM users WHERE email_normalized = $1", [input.email]);
        if (existing) throw conflict("A user with this email already exists; sign in instead", undefined, "email_taken");
        const [user] = await q.query<UserRow>(
          `INSERT INTO users (email, email_normalized, name, password_hash, is_instance_admin)
           VALUES ($1, $1, $2, $3, $4) RETURNING ${USER_COLUMNS}`,
          [input.email, input.name ?? null, passwordHash, instanceAdmin],
        );
        await afterCreate?.(q, user!);
        await auditForUser(q, user!.id, "user.signed_up", { email: input.email, instanceAdmin });
        return { user: user!, ...(await openSession(q, user!.id, opts.userAgent)) };
      });
    },

    async signIn(email: string, password: string, ip: string, userAgent?: string): Promise<SignInResult> {
      const [counts] = await db.query<{ byEmail: number; byIp: number; oldest: string | null }>(
        `SELECT count(*) FILTER (WHERE email_normalized = $1)::int AS by_email,
                count(*) FILTER (WHERE ip = $2)::int AS by_ip,
                min(created_at) AS oldest
           FROM sign_in_attempts
          WHERE NOT succeeded AND created_at > now() - make_interval(mins => $3) AND (email_normalized = $1 OR ip = $2)`,
        [email, ip, SIGN_IN_LIMITS.windowMinutes],
      );
      if (counts!.byEmail >= SIGN_IN_LIMITS.perEmail || counts!.byIp >= SIGN_IN_LIMITS.perIp) {
        return { kind: "rate_limited", retryAfterSeconds: SIGN_IN_LIMITS.windowMinutes * 60 };
      }
      const [row] = await db.query<UserRow & { passwordHash: string | null }>(
        `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE email_normalized = $1`,
        [email],
      );
      // Unknown emails cost one scrypt as well: timing does not tell which emails exist.
      const ok = await verifyPassword(password, row?.passwordHash ?? (await dummyPasswordHash()));
      const success = ok && row !== undefined && row.passwordHash !== null;
      return db.tx(async (q) => {
        await q.query("INSERT INTO sign_in_attempts (email_normalized, ip, succeeded) VALUES ($1, $2, $3)", [email, ip, success]);
        if (!success) {
          if (row) await auditForUser(q, row.id, "user.sign_in_failed", { ip });
          return { kind: "invalid" } as const;
        }
        const { passwordHash: _omit, ...user } = row!;
        await auditForUser(q, user.id, "user.signed_in", { ip });
        return { kind: "signed_in", user, ...(await openSession(q, user.id, userAgent)) } as const;
      });
    },

    /** Ends every session of the user (every browser); with `keys`, revokes their board API keys too. */
    async signOutEverywhere(userId: string, keys: boolean): Promise<{ revokedSessions: number; revokedKeys: number }> {
      return db.tx(async (q) => {
        const sessions = await q.query(
          "UPDATE board_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id",
          [userId],
        );
        const revokedKeys = keys
          ? await q.query("UPDATE board_api_keys SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id", [userId])
          : [];
        await auditForUser(q, userId, "user.signed_out_everywhere", { sessions: sessions.length, keys: revokedKeys.length });
        return { revokedSessions: sessions.length, revokedKeys: revokedKeys.length };
      });
    },

    scopeOf: boardScopeOf,

    /** An audit row about the user in each of their companies, in the caller's transaction. */
    audit: (q: Queryable, userId: string, action: string, details: Record<string, unknown>) => auditForUser(q, userId, action, details),

    async memberships(userId: string) {
      return db.query<{ companyId: string; companyName: string; role: CompanyRole }>(
        `SELECT m.company_id, c.name AS company_name, m.role FROM company_memberships m JOIN companies c ON c.id = m.company_id
          WHERE m.user_id = $1 ORDER BY c.name`,
        [userId],
      );
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;

/** The companies and roles a user's board credential reaches. */
export async function boardScopeOf(q: Queryable, userId: string): Promise<BoardScope> {
  const rows = await q.query<{ isInstanceAdmin: boolean; companyId: string | null; role: CompanyRole | null }>(
    `SELECT u.is_instance_admin, m.company_id, m.role
       FROM users u LEFT JOIN company_memberships m ON m.user_id = u.id
      WHERE u.id = $1`,
    [userId],
  );
  // No users row: a credential minted before users existed (migration 0016 backfills them).
  if (rows.length === 0 || rows[0]!.isInstanceAdmin) return { companyIds: "all" };
  const roles: Record<string, CompanyRole> = {};
  for (const row of rows) if (row.companyId && row.role) roles[row.companyId] = row.role;
  return { companyIds: Object.keys(roles), roles };
}
