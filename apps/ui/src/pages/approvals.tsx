import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import { ApprovalCard } from "../components/approval-card.js";
import { QueryState } from "../components/query-state.js";
import { Empty, PageTitle, Section } from "../components/ui.js";
import { sortApprovals } from "../lib/approvals.js";
import { useCompany } from "../lib/company-context.js";
import { PATHS, useRouteParams } from "../lib/routes.js";

/** /c/:companyId/approvals — pending first (expanded), then the rest (collapsed rows). */
export function ApprovalsPage() {
  const { company } = useCompany();
  const list = useQuery(queries.approvals(useApi(), company.id));
  return (
    <>
      <PageTitle title="Approvals">Approvals</PageTitle>
      <p className="lede">Requests that need the board: hires, budget overrides, strategies and other decisions.</p>
      <QueryState query={list} empty="No approvals yet. Agents ask here when they need the board.">
        {(all) => {
          const sorted = sortApprovals(all);
          const pending = sorted.filter((a) => a.status === "pending");
          const rest = sorted.filter((a) => a.status !== "pending");
          return (
            <>
              <Section title={`Pending (${pending.length})`} id="approvals-pending">
                {pending.length ? (
                  <div className="approval-list" aria-label="Pending approvals" role="list">
                    {pending.map((a) => (
                      <div role="listitem" key={a.id}>
                        <ApprovalCard approval={a} defaultOpen />
                      </div>
                    ))}
                  </div>
                ) : (
                  <Empty>Nothing is waiting for the board.</Empty>
                )}
              </Section>
              {rest.length ? (
                <Section title={`Decided (${rest.length})`} id="approvals-decided">
                  <div className="approval-list" aria-label="Decided approvals" role="list">
                    {rest.map((a) => (
                      <div role="listitem" key={a.id}>
                        <ApprovalCard approval={a} />
                      </div>
                    ))}
                  </div>
                </Section>
              ) : null}
            </>
          );
        }}
      </QueryState>
    </>
  );
}

/** /c/:companyId/approvals/:approvalId — one approval, expanded. */
export function ApprovalRoute() {
  const { approvalId } = useRouteParams(PATHS.approval);
  return <ApprovalPage key={approvalId} approvalId={approvalId} />;
}

function ApprovalPage({ approvalId }: { approvalId: string }) {
  const { base } = useCompany();
  const approval = useQuery(queries.approval(useApi(), approvalId));
  return (
    <>
      <PageTitle title="Approval">Approval</PageTitle>
      <p>
        <Link to={`${base}/approvals`}>← All approvals</Link>
      </p>
      <QueryState query={approval}>{(a) => <ApprovalCard approval={a} defaultOpen showOwnLink={false} />}</QueryState>
    </>
  );
}
