import type { Queryable } from "../db/database.js";
import { ancestorsOf, childrenOf } from "./hierarchy.js";
import { blockerRefs, type IssueRow } from "./rows.js";
import { issueLabels } from "../labels/issue-labels.js";

/** The full issue page: the row plus ancestors, children, blockers, project, goal, documents, products. */
export async function loadIssueDetail(q: Queryable, issue: IssueRow) {
  const [relations, ancestors, children, project, goal, documents, workProducts, labels] = await Promise.all([
    blockerRefs(q, issue.id),
    ancestorsOf(q, issue.parentId),
    childrenOf(q, issue.id),
    issue.projectId ? q.query("SELECT id, name, status FROM projects WHERE id = $1", [issue.projectId]) : [],
    issue.goalId ? q.query("SELECT id, title, status FROM goals WHERE id = $1", [issue.goalId]) : [],
    q.query(
      `SELECT d.key, doc.title, doc.latest_revision_number, doc.updated_at
         FROM issue_documents d JOIN documents doc ON doc.id = d.document_id
        WHERE d.issue_id = $1 ORDER BY d.key`,
      [issue.id],
    ),
    q.query(
      `SELECT id, type, provider, title, url, status, is_primary, created_by_run_id, created_at
         FROM issue_work_products WHERE issue_id = $1 ORDER BY created_at, id`,
      [issue.id],
    ),
    issueLabels(q, issue.id),
  ]);
  return {
    ...issue,
    ...relations,
    ...labels,
    ancestors,
    children,
    project: project[0] ?? null,
    goal: goal[0] ?? null,
    documents,
    workProducts,
  };
}
