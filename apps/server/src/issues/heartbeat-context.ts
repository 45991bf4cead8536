import type { Queryable } from "../db/database.js";
import { ancestorsOf } from "./hierarchy.js";
import { blockerRefs, type IssueRow } from "./rows.js";
import { COMMENT_COLUMNS } from "./comments.js";
import { listIssueAttachmentsCompact } from "../attachments/service.js";

export interface HeartbeatAttachment {
  id: string;
  filename: string;
  contentType: string;
  byteSize: number;
  contentPath: string;
  createdAt: Date;
}

/** Attachment part of the heartbeat context: the issue's files, newest first (attachments/service.ts). */
export async function heartbeatContextAttachments(q: Queryable, issue: IssueRow): Promise<HeartbeatAttachment[]> {
  return listIssueAttachmentsCompact(q, issue.id);
}

/**
 * The compact state an agent reads at the start of a heartbeat: the issue's own fields, ancestor
 * summaries, project, goal, blockers, where the comment thread ends (so the agent fetches only
 * newer comments), and the comment that woke it. The wake comment is returned only when it belongs
 * to this issue (a comment id of another issue or company gives `null`, never its text).
 */
export async function loadHeartbeatContext(q: Queryable, issue: IssueRow, wakeCommentId: string | undefined) {
  const [relations, ancestors, project, goal, cursor, latest, wakeComment, attachments] = await Promise.all([
    blockerRefs(q, issue.id),
    ancestorsOf(q, issue.parentId),
    issue.projectId
      ? q.query("SELECT id, name, status, target_date::text AS target_date FROM projects WHERE id = $1", [issue.projectId])
      : [],
    issue.goalId ? q.query("SELECT id, title, status, level, parent_id FROM goals WHERE id = $1", [issue.goalId]) : [],
    q.query<{ totalComments: number }>("SELECT count(*)::int AS total_comments FROM issue_comments WHERE issue_id = $1", [issue.id]),
    q.query<{ id: string; createdAt: Date }>(
      "SELECT id, created_at FROM issue_comments WHERE issue_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
      [issue.id],
    ),
    wakeCommentId
      ? q.query(`SELECT ${COMMENT_COLUMNS} FROM issue_comments WHERE id = $1 AND issue_id = $2`, [wakeCommentId, issue.id])
      : [],
    heartbeatContextAttachments(q, issue),
  ]);
  return {
    issue: {
      id: issue.id,
      identifier: issue.identifier,
      title: issue.title,
      description: issue.description,
      status: issue.status,
      workMode: issue.workMode,
      priority: issue.priority,
      projectId: issue.projectId,
      goalId: issue.goalId,
      parentId: issue.parentId,
      blockedBy: relations.blockedBy,
      blocks: relations.blocks,
      assigneeAgentId: issue.assigneeAgentId,
      assigneeUserId: issue.assigneeUserId,
      originKind: issue.originKind,
      originId: issue.originId,
      updatedAt: issue.updatedAt,
    },
    ancestors: ancestors.map(({ id, identifier, title, status, priority }) => ({ id, identifier, title, status, priority })),
    project: project[0] ?? null,
    goal: goal[0] ?? null,
    commentCursor: {
      totalComments: cursor[0]?.totalComments ?? 0,
      latestCommentId: latest[0]?.id ?? null,
      latestCommentAt: latest[0]?.createdAt ?? null,
    },
    wakeComment: wakeComment[0] ?? null,
    attachments,
  };
}
