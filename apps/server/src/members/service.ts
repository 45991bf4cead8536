import { randomBytes } from "node:crypto";
import type { CompanyRole } from "@staple/contracts";
import type { Database, Queryable } from "../db/database.js";
import { conflict, notFound, ruleViolation } from "../errors.js";
import { recordActivity } from "../activity/record.js";
import type { BoardActor } from "../auth/actor.js";
import { assertCanSee, assertRoleAllows } from "../auth/access.js";
import { hashBoardSecret } from "../auth/board-credentials.js";

export const INVITE_TTL_HOURS_DEFAULT = 72;

const MEMBER_SELECT = `SELECT m.id, m.company_id, m.user_id, u.email, u.name, m.role, m.created_at
  FROM company_memberships m JOIN users u ON u.id = m.user_id`;
const INVITE_COLUMNS =
  "id, company_id, role, requires_approval, created_by_user_id, created_at, expires_at, accepted_at, accepted_by_user_id, revoked_at";

export interface MemberRow {
  id: string;
  companyId: string;
  userId: string;
  email: string | null;
  name: string | null;
  role: CompanyRole;
  createdAt: string;
}

/** Granting, changing or removing the owner role needs `manage_owners`; any other role `manage_members`. */
function assertMayGrant(actor: BoardActor, companyId: string, ...roles: CompanyRole[]) {
  assertRoleAllows(actor, companyId, roles.includes("owner") ? "manage_owners" : "manage_members");
}

/**
 * Company memberships, invites and join requests. Every change writes its activity row in the same
 * transaction. Removing a member ends all of that user's sessions and board keys at once: a removed
 * person must not keep a live credential (a user of several companies signs in again).
 */
export function createMemberService(db: Database) {
  async function requireMember(q: Queryable, companyId: string, memberId: string): Promise<MemberRow> {
    const [row] = await q.query<MemberRow>(
      `${MEMBER_SELECT} WHERE m.company_id = $1 AND (m.id::text = $2 OR m.user_id = $2) FOR UPDATE OF m`,
      [companyId, memberId],
    );
    if (!row) throw notFound("Member not found");
    return row;
  }

  async function assertNotLastOwner(q: Queryable, member: MemberRow) {
    if (member.role !== "owner") return;
    const [row] = await q.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM company_memberships WHERE company_id = $1 AND role = 'owner'",
      [member.companyId],
    );
    if (row!.n <= 1) throw ruleViolation("A company keeps at least one owner; make someone else owner first", undefined, "last_owner");
  }

  async function addMember(q: Queryable, companyId: string, userId: string, role: CompanyRole): Promise<MemberRow> {
    await q.query(
      `INSERT INTO company_memberships (company_id, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (company_id, user_id) DO NOTHING`,
      [companyId, userId, role],
    );
    const [row] = await q.query<MemberRow>(`${MEMBER_SELECT} WHERE m.company_id = $1 AND m.user_id = $2`, [companyId, userId]);
    return row!;
  }

  return {
    addMember: (q: Queryable, companyId: string, userId: string, role: CompanyRole) => addMember(q, companyId, userId, role),

    list(companyId: string): Promise<MemberRow[]> {
      return db.query(`${MEMBER_SELECT} WHERE m.company_id = $1 ORDER BY m.created_at, m.id`, [companyId]);
    },

    updateRole(actor: BoardActor, companyId: string, memberId: string, role: CompanyRole): Promise<MemberRow> {
      return db.tx(async (q) => {
        const member = await requireMember(q, companyId, memberId);
        assertMayGrant(actor, companyId, member.role, role);
        if (member.role === role) return member;
        if (role !== "owner") await assertNotLastOwner(q, member);
        await q.query("UPDATE company_memberships SET role = $2, updated_at = now() WHERE id = $1", [member.id, role]);
        await recordActivity(q, {
          companyId,
          actor,
          action: "member.role_changed",
          entityType: "user",
          entityId: member.userId,
          details: { from: member.role, to: role },
        });
        return { ...member, role };
      });
    },

    remove(actor: BoardActor, companyId: string, memberId: string): Promise<MemberRow> {
      return db.tx(async (q) => {
        const member = await requireMember(q, companyId, memberId);
        assertMayGrant(actor, companyId, member.role);
        await assertNotLastOwner(q, member);
        await q.query("DELETE FROM company_memberships WHERE id = $1", [member.id]);
        const sessions = await q.query(
          "UPDATE board_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id",
          [member.userId],
        );
        const keys = await q.query("UPDATE board_api_keys SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id", [
          member.userId,
        ]);
        await recordActivity(q, {
          companyId,
          actor,
          action: "member.removed",
          entityType: "user",
          entityId: member.userId,
          details: { role: member.role, revokedSessions: sessions.length, revokedKeys: keys.length },
        });
        return member;
      });
    },

    async createInvite(
      actor: BoardActor,
      companyId: string,
      input: { role: CompanyRole; requiresApproval: boolean; expiresInHours: number },
    ) {
      assertMayGrant(actor, companyId, input.role);
      const token = `sti_${randomBytes(24).toString("base64url")}`;
      return db.tx(async (q) => {
        const [row] = await q.query<Record<string, unknown> & { id: string }>(
          `INSERT INTO company_invites (company_id, token_hash, role, requires_approval, created_by_user_id, expires_at)
           VALUES ($1, $2, $3, $4, $5, now() + make_interval(hours => $6)) RETURNING ${INVITE_COLUMNS}`,
          [companyId, hashBoardSecret(token), input.role, input.requiresApproval, actor.userId, input.expiresInHours],
        );
        await recordActivity(q, {
          companyId,
          actor,
          action: "invite.created",
          entityType: "invite",
          entityId: row!.id,
          details: { role: input.role, requiresApproval: input.requiresApproval },
        });
        return { ...row!, token };
      });
    },

    listInvites(companyId: string) {
      return db.query(`SELECT ${INVITE_COLUMNS} FROM company_invites WHERE company_id = $1 ORDER BY created_at DESC, id`, [companyId]);
    },

    revokeInvite(actor: BoardActor, inviteId: string) {
      return db.tx(async (q) => {
        const [invite] = await q.query<{ companyId: string; role: CompanyRole }>(
          `SELECT ${INVITE_COLUMNS} FROM company_invites WHERE id = $1 FOR UPDATE`,
          [inviteId],
        );
        if (!invite) throw notFound("Invite not found");
        assertCanSee(actor, invite.companyId, "Invite");
        assertMayGrant(actor, invite.companyId, invite.role);
        const [row] = await q.query(
          `UPDATE company_invites SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${INVITE_COLUMNS}`,
          [inviteId],
        );
        await recordActivity(q, { companyId: invite.companyId, actor, action: "invite.revoked", entityType: "invite", entityId: inviteId });
        return row!;
      });
    },

    /** What an invite link offers; 404 for unknown, used, revoked or expired tokens alike. */
    async previewInvite(token: string) {
      const [row] = await db.query<{
        companyId: string;
        companyName: string;
        role: CompanyRole;
        requiresApproval: boolean;
        expiresAt: string;
      }>(
        `SELECT i.company_id, c.name AS company_name, i.role, i.requires_approval, i.expires_at
           FROM company_invites i JOIN companies c ON c.id = i.company_id
          WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()`,
        [hashBoardSecret(token)],
      );
      if (!row) throw notFound("Invite not found, already used, revoked or expired");
      return row;
    },

    /**
     * Redeems an invite once (a guarded update: two acceptances cannot both win). Joins at once, or
     * files a join request when the invite asks for approval. Runs inside the caller's transaction
     * when given one (sign-up with an invite).
     */
    async acceptInvite(q: Queryable, token: string, userId: string) {
      const [invite] = await q.query<{ id: string; companyId: string; role: CompanyRole; requiresApproval: boolean }>(
        `UPDATE company_invites SET accepted_at = now(), accepted_by_user_id = $2
          WHERE token_hash = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
          RETURNING id, company_id, role, requires_approval`,
        [hashBoardSecret(token), userId],
      );
      if (!invite) throw notFound("Invite not found, already used, revoked or expired");
      const actor: BoardActor = { kind: "board", userId, source: "session", companyIds: "all" };
      if (invite.requiresApproval) {
        const [request] = await q.query<{ id: string }>(
          `INSERT INTO company_join_requests (company_id, user_id, invite_id, role) VALUES ($1, $2, $3, $4)
           ON CONFLICT (company_id, user_id) WHERE status = 'pending' DO UPDATE SET role = EXCLUDED.role RETURNING id`,
          [invite.companyId, userId, invite.id, invite.role],
        );
        await recordActivity(q, {
          companyId: invite.companyId,
          actor,
          action: "join_request.created",
          entityType: "join_request",
          entityId: request!.id,
          details: { inviteId: invite.id, role: invite.role },
        });
        return { status: "pending_approval" as const, companyId: invite.companyId, membership: null, joinRequestId: request!.id };
      }
      const membership = await addMember(q, invite.companyId, userId, invite.role);
      await recordActivity(q, {
        companyId: invite.companyId,
        actor,
        action: "invite.accepted",
        entityType: "invite",
        entityId: invite.id,
        details: { role: membership.role },
      });
      return { status: "joined" as const, companyId: invite.companyId, membership, joinRequestId: null };
    },

    listJoinRequests(companyId: string) {
      return db.query(
        `SELECT r.id, r.company_id, r.user_id, u.email, r.role, r.status, r.created_at, r.decided_at
           FROM company_join_requests r JOIN users u ON u.id = r.user_id
          WHERE r.company_id = $1 ORDER BY r.created_at DESC, r.id`,
        [companyId],
      );
    },

    decideJoinRequest(actor: BoardActor, companyId: string, requestId: string, approve: boolean) {
      return db.tx(async (q) => {
        const [request] = await q.query<{ id: string; userId: string; role: CompanyRole }>(
          `UPDATE company_join_requests SET status = $3, decided_at = now(), decided_by_user_id = $4
            WHERE id = $1 AND company_id = $2 AND status = 'pending' RETURNING id, user_id, role`,
          [requestId, companyId, approve ? "approved" : "rejected", actor.userId],
        );
        if (!request) {
          const [exists] = await q.query("SELECT 1 FROM company_join_requests WHERE id = $1 AND company_id = $2", [requestId, companyId]);
          if (!exists) throw notFound("Join request not found");
          throw conflict("Join request was already decided", undefined, "join_request_decided");
        }
        assertMayGrant(actor, companyId, request.role);
        if (approve) await addMember(q, companyId, request.userId, request.role);
        await recordActivity(q, {
          companyId,
          actor,
          action: approve ? "join_request.approved" : "join_request.rejected",
          entityType: "join_request",
          entityId: request.id,
          details: { userId: request.userId, role: request.role },
        });
        const [row] = await q.query(
          `SELECT r.id, r.company_id, r.user_id, u.email, r.role, r.status, r.created_at, r.decided_at
             FROM company_join_requests r JOIN users u ON u.id = r.user_id WHERE r.id = $1`,
          [request.id],
        );
        return row!;
      });
    },
  };
}

export type MemberService = ReturnType<typeof createMemberService>;

/** Guard for member routes that only admins and owners use at all (listing invites, join requests). */
export function assertManagesMembers(actor: BoardActor, companyId: string) {
  assertRoleAllows(actor, companyId, "manage_members");
}
