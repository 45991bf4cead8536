import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import type { Issue } from "../api/types.js";
import { useCompany } from "../lib/company-context.js";
import { type Progress, progressOf, progressPercent } from "../lib/progress.js";
import { queryKeys } from "../lib/query-keys.js";
import { QueryState } from "./query-state.js";
import { Badge } from "./ui.js";

/** "3 of 5 done" with a bar; the numbers are the text, the bar is decoration. */
export function ProgressBar({ progress }: { progress: Progress }) {
  const pct = progressPercent(progress);
  return (
    <span className="progress">
      <span className="progress-bar" aria-hidden="true">
        <span style={{ width: `${pct}%` }} />
      </span>
      {progress.total ? `${progress.done} of ${progress.total} done` : "No issues"}
    </span>
  );
}

/** The company's issues (up to 1,000), for progress counts of projects and goals. */
export function useCompanyIssues() {
  const { company } = useCompany();
  const api = useApi();
  return useQuery({
    queryKey: [...queryKeys.issues(company.id), "progress"],
    queryFn: () =>
      unwrap(api.GET("/api/companies/{companyId}/issues", { params: { path: { companyId: company.id }, query: { limit: "1000" } } })),
  });
}

/** The issues of one project or goal, with its progress above the list. */
export function ScopedIssues({ scope, id }: { scope: "projectId" | "goalId"; id: string }) {
  const { company, base, agentName } = useCompany();
  const api = useApi();
  const issues = useQuery({
    queryKey: [...queryKeys.issues(company.id), scope, id],
    queryFn: () =>
      unwrap(
        api.GET("/api/companies/{companyId}/issues", {
          params: { path: { companyId: company.id }, query: { [scope]: id, limit: "500", sortField: "updated", sortDir: "desc" } },
        }),
      ),
  });
  return (
    <QueryState query={issues} empty="No issues yet.">
      {(list: Issue[]) => (
        <>
          <p>
            <ProgressBar progress={progressOf(list)} />
          </p>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Issue</th>
                <th scope="col">Status</th>
                <th scope="col">Assignee</th>
              </tr>
            </thead>
            <tbody>
              {list.map((i) => (
                <tr key={i.id}>
                  <td>
                    <Link to={`${base}/issues/${i.identifier}`}>
                      <span className="mono">{i.identifier}</span> {i.title}
                    </Link>
                  </td>
                  <td>
                    <Badge status={i.status} />
                  </td>
                  <td>{i.assigneeAgentId ? agentName(i.assigneeAgentId) : <span className="muted">Unassigned</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </QueryState>
  );
}
