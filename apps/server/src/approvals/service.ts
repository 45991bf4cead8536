import type { AddApprovalCommentBody, CreateApprovalBody, ResubmitApprovalBody } from "@staple/contracts";
import type { Database, Queryable } from "../db/database.js";
import { forbidden, notFound, ruleViolation } from "../errors.js";
import { actorStamp, type Actor } from "../auth/actor.js";
import { assertCanSee, assertCompanyAccess } from "../auth/access.js";
import { recordActivity } from "../activity/record.js";
import { findIssue, ISSUE_COLUMNS } from "../issues/rows.js";
import { APPROVAL_COLUMNS, approvalColumns, COMMENT_COLUMNS, findApproval, type ApprovalRow } from "./rows.js";

/**
 * Approvals outside the decisions (decide.ts): list, read, create, comment, resubmit, and the links
 * between approvals and issues. Company scope as everywhere: another company's approval is a 404.
 */
export function createApprovalService(db: Database) {
  async function visible(actor: Actor, id: string, q: Queryable = db, lock = false): Promise<ApprovalRow> {
    const approval = await findApproval(q, id, lock);
    if (!approval) throw notFound("Approval not found");
    assertCanSee(actor, approval.companyId, "Approval");
    return approval;
  }

  /** An agent acts on an approval only as its requester (comment, resubmit). */
  function assertRequester(actor: Actor, approval: ApprovalRow, what: string) {
    if (actor.kind === "agent" && approval.requestedByAgentId !== actor.agentId) {
      throw forbidden(`Only the requesting agent can ${what} this approval`, "approval_not_requester");
    }
  }

  /** Links issues (all of the approval's company, else 404/422) to an approval; existing links stay. */
  async function linkIssues(q: Queryable, actor: Actor, approval: ApprovalRow, issueIds: readonly string[]) {
    const unique = [...new Set(issueIds)];
    if (unique.length === 0) return;
    const rows = await q.query<{ id: string; companyId: string }>("SELECT id, company_id FROM issues WHERE id = ANY($1::uuid[])", [unique]);
    const visibleRows = rows.filter((r) =>
      actor.kind === "agent" ? r.companyId === actor.companyId : actor.companyIds === "all" || actor.companyIds.includes(r.companyId),
    );
    if (visibleRows.length !== unique.length) {
      const found = new Set(visibleRows.map((r) => r.id));
      throw notFound(`Issue not found: ${unique.find((id) => !found.has(id))}`);
    }
    if (visibleRows.some((r) => r.companyId !== approval.companyId)) {
      throw ruleViolation("Issue and approval must belong to the same company", undefined, "approval_issue_company_mismatch");
    }
    const stamp = actorStamp(actor);
    await q.query(
      // created_at is now() plus the position in microseconds, so reading links ORDER BY created_at keeps the
      // given order (the first issue is the approval's primary one). clock_timestamp() per row was not enough:
      // two rows can share a microsecond, and the tie then fell to the random issue id.
      `INSERT INTO issue_approvals (company_id, issue_id, approval_id, linked_by_agent_id, linked_by_user_id, created_at)
       SELECT $1, id, $3, $4, $5, now() + ord * interval '1 microsecond' FROM unnest($2::uuid[]) WITH ORDINALITY AS u(id, ord) ORDER BY ord ON CONFLICT DO NOTHING`,
      [approval.companyId, unique, approval.id, stamp.agentId, stamp.actorType === "user" ? stamp.actorId : null],
    );
  }

  /** Linking approvals to issues: the board, a CEO, or an agent that may create agents (Paperclip's rule). */
  async function assertMayManageLinks(actor: Actor, companyId: string) {
    assertCompanyAccess(actor, companyId);
    if (actor.kind === "board") return;
    const [agent] = await db.query<{ role: string; permissions: Record<string, unknown> | null }>(
      "SELECT role, permissions FROM agents WHERE id = $1",
      [actor.agentId],
    );
    if (agent && (agent.role === "ceo" || agent.permissions?.canCreateAgents === true)) return;
    throw forbidden("Missing permission to link approvals", "approval_link_forbidden");
  }

  async function visibleIssue(actor: Actor, ref: string) {
    const issue = await findIssue(db, ref);
    if (!issue) throw notFound("Issue not found");
    assertCanSee(actor, issue.companyId, "Issue");
    return issue;
  }

  const listForIssue = (issueId: string) =>
    db.query<ApprovalRow>(
      `SELECT ${approvalColumns("a")}
         FROM issue_approvals l JOIN approvals a ON a.id = l.approval_id WHERE l.issue_id = $1 ORDER BY l.created_at DESC, a.id`,
      [issueId],
    );

  return {
    visible: (actor: Actor, id: string) => visible(actor, id),

    async list(actor: Actor, companyId: string, status?: string) {
      assertCompanyAccess(actor, companyId);
      const params: unknown[] = [companyId];
      const where = status ? `AND status = $${params.push(status)}` : "";
      return db.query<ApprovalRow>(
        `SELECT ${APPROVAL_COLUMNS} FROM approvals WHERE company_id = $1 ${where} ORDER BY created_at DESC, id LIMIT 500`,
        params,
      );
    },

    async create(actor: Actor, companyId: string, body: CreateApprovalBody): Promise<ApprovalRow> {
      assertCompanyAccess(actor, companyId);
      let requester: string | null = body.requestedByAgentId ?? null;
      if (actor.kind === "agent") {
        if (requester && requester !== actor.agentId)
          throw forbidden("An agent can request approvals only for itself", "approval_requester_forbidden");
        requester = actor.agentId;
      } else if (requester) {
        const [agent] = await db.query<{ companyId: string }>("SELECT company_id FROM agents WHERE id = $1", [requester]);
        if (!agent || agent.companyId !== companyId) {
          throw ruleViolation(
            "requestedByAgentId must be an agent of the company",
            { requestedByAgentId: requester },
            "approval_requester_invalid",
          );
        }
      }
      const stamp = actorStamp(actor);
      return db.tx(async (q) => {
        const [approval] = await q.query<ApprovalRow>(
          `INSERT INTO approvals (company_id, type, status, payload, requested_by_agent_id, requested_by_user_id)
           VALUES ($1, $2, 'pending', $3::jsonb, $4, $5) RETURNING ${APPROVAL_COLUMNS}`,
          [companyId, body.type, JSON.stringify(body.payload), requester, stamp.actorType === "user" ? stamp.actorId : null],
        );
        await linkIssues(q, actor, approval!, body.issueIds ?? []);
        await recordActivity(q, {
          companyId,
          actor,
          action: "approval.created",
          entityType: "approval",
          entityId: approval!.id,
          details: { type: body.type, issueIds: [...new Set(body.issueIds ?? [])] },
        });
        return approval!;
      });
    },

    /** revision_requested -> pending, optionally with a new payload; the decision fields are cleared. */
    async resubmit(actor: Actor, id: string, body: ResubmitApprovalBody): Promise<ApprovalRow> {
      const existing = await visible(actor, id);
      assertRequester(actor, existing, "resubmit");
      return db.tx(async (q) => {
        const [approval] = await q.query<ApprovalRow>(
          `UPDATE approvals SET status = 'pending', payload = coalesce($2::jsonb, payload), decision_note = NULL, decided_by_user_id = NULL,
                  decided_at = NULL, updated_at = now()
            WHERE id = $1 AND status = 'revision_requested' RETURNING ${APPROVAL_COLUMNS}`,
          [id, body.payload ? JSON.stringify(body.payload) : null],
        );
        if (!approval) {
          const current = (await findApproval(q, id))!;
          throw ruleViolation(
            "Only approvals in revision_requested can be resubmitted",
            { status: current.status },
            "approval_not_resubmittable",
          );
        }
        await recordActivity(q, {
          companyId: approval.companyId,
          actor,
          action: "approval.resubmitted",
          entityType: "approval",
          entityId: id,
          details: { type: approval.type },
        });
        return approval;
      });
    },

    async listComments(actor: Actor, id: string) {
      await visible(actor, id);
      return db.query(`SELECT ${COMMENT_COLUMNS} FROM approval_comments WHERE approval_id = $1 ORDER BY created_at, id`, [id]);
    },

    async addComment(actor: Actor, id: string, body: AddApprovalCommentBody) {
      const approval = await visible(actor, id);
      assertRequester(actor, approval, "comment on");
      const stamp = actorStamp(actor);
      return db.tx(async (q) => {
        const [comment] = await q.query<{ id: string }>(
          `INSERT INTO approval_comments (company_id, approval_id, author_agent_id, author_user_id, body)
           VALUES ($1, $2, $3, $4, $5) RETURNING ${COMMENT_COLUMNS}`,
          [approval.companyId, id, stamp.agentId, stamp.actorType === "user" ? stamp.actorId : null, body.body],
        );
        await recordActivity(q, {
          companyId: approval.companyId,
          actor,
          action: "approval.comment_added",
          entityType: "approval",
          entityId: id,
          details: { commentId: comment!.id },
        });
        return comment!;
      });
    },

    async listIssues(actor: Actor, id: string) {
      await visible(actor, id);
      const cols = ISSUE_COLUMNS.split(",")
        .map((c) => `i.${c.trim()}`)
        .join(", ");
      return db.query(
        `SELECT ${cols} FROM issue_approvals l JOIN issues i ON i.id = l.issue_id WHERE l.approval_id = $1 ORDER BY l.created_at DESC, i.id`,
        [id],
      );
    },

    async listForIssue(actor: Actor, issueRef: string) {
      const issue = await visibleIssue(actor, issueRef);
      return listForIssue(issue.id);
    },

    async link(actor: Actor, issueRef: string, approvalId: string) {
      const issue = await visibleIssue(actor, issueRef);
      await assertMayManageLinks(actor, issue.companyId);
      const approval = await visible(actor, approvalId);
      await db.tx(async (q) => {
        await linkIssues(q, actor, approval, [issue.id]);
        await recordActivity(q, {
          companyId: issue.companyId,
          actor,
          action: "issue.approval_linked",
          entityType: "issue",
          entityId: issue.id,
          details: { approvalId },
        });
      });
      return listForIssue(issue.id);
    },

    async unlink(actor: Actor, issueRef: string, approvalId: string) {
      const issue = await visibleIssue(actor, issueRef);
      await assertMayManageLinks(actor, issue.companyId);
      await visible(actor, approvalId);
      await db.tx(async (q) => {
        const removed = await q.query("DELETE FROM issue_approvals WHERE issue_id = $1 AND approval_id = $2 RETURNING approval_id", [
          issue.id,
          approvalId,
        ]);
        if (removed.length) {
          await recordActivity(q, {
            companyId: issue.companyId,
            actor,
            action: "issue.approval_unlinked",
            entityType: "issue",
            entityId: issue.id,
            details: { approvalId },
          });
        }
      });
      return { ok: true as const };
    },

    linkIssues,
  };
}
export type ApprovalService = ReturnType<typeof createApprovalService>;
