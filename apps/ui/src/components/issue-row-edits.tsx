import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { describeError, unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import type { Issue, UpdateIssueInput } from "../api/types.js";
import { useCompany } from "../lib/company-context.js";
import { patchIssueLists } from "../lib/issue-row-updates.js";
import { ALL_ISSUE_STATUSES, humanize, statusTone } from "../lib/status.js";
import { Badge } from "./ui.js";

/**
 * In-place edits of one issue row: the same PATCH as the issue page's properties. The chosen value
 * shows at once; the server's answer then replaces the row in every cached list (as a live update
 * would), and a refusal puts the old value back with the server's message beside it.
 *
 * The selects take `tabIndex={-1}`: the list keeps one tab stop per row (the title link, with
 * `j`/`k` between rows), while pointer and screen-reader users still reach them.
 */
function useRowEdit(issue: Issue) {
  const api = useApi();
  const { company } = useCompany();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: UpdateIssueInput) => unwrap(api.PATCH("/api/issues/{id}", { params: { path: { id: issue.id } }, body })),
    onSuccess: (updated) => patchIssueLists(queryClient, company.id, issue.id, updated as Issue),
  });
}

function RowError({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <span className="row-edit-error" role="alert">
      {describeError(error)}
    </span>
  );
}

export function IssueStatusCell({ issue, readOnly }: { issue: Issue; readOnly: boolean }) {
  const edit = useRowEdit(issue);
  const [pending, setPending] = useState<Issue["status"] | null>(null);
  if (readOnly) return <Badge status={issue.status} />;
  const value = (edit.isPending && pending) || issue.status;
  return (
    <>
      <select
        className={`row-edit badge tone-${statusTone(value)}`}
        aria-label={`Status of ${issue.identifier}`}
        tabIndex={-1}
        value={value}
        onChange={(e) => {
          const status = e.target.value as Issue["status"];
          setPending(status);
          edit.mutate({ status });
        }}
      >
        {ALL_ISSUE_STATUSES.map((s) => (
          <option key={s} value={s}>
            {humanize(s)}
          </option>
        ))}
      </select>
      <RowError error={edit.error} />
    </>
  );
}

export function IssueAssigneeCell({ issue, readOnly }: { issue: Issue; readOnly: boolean }) {
  const { agents, agentName } = useCompany();
  const edit = useRowEdit(issue);
  const [pending, setPending] = useState<string | null>(null);
  if (readOnly) return <>{agentName(issue.assigneeAgentId)}</>;
  const value = edit.isPending && pending !== null ? pending : (issue.assigneeAgentId ?? "");
  return (
    <>
      <select
        className="row-edit"
        aria-label={`Assignee of ${issue.identifier}`}
        tabIndex={-1}
        value={value}
        onChange={(e) => {
          setPending(e.target.value);
          edit.mutate({ assigneeAgentId: e.target.value || null });
        }}
      >
        <option value="">Unassigned</option>
        {/* An assignee the company list does not hold (terminated and hidden, or not loaded yet) stays shown. */}
        {issue.assigneeAgentId && !agents.some((a) => a.id === issue.assigneeAgentId) ? (
          <option value={issue.assigneeAgentId}>{agentName(issue.assigneeAgentId)}</option>
        ) : null}
        {agents
          .filter((a) => a.status !== "terminated" || a.id === issue.assigneeAgentId)
          .map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
      </select>
      <RowError error={edit.error} />
    </>
  );
}
