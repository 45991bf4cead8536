import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import type { ActivityEntry } from "../api/types.js";
import { QueryState } from "../components/query-state.js";
import { PageTitle } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { formatTime, relativeTime } from "../lib/format.js";
import { humanize } from "../lib/status.js";

/** "issue.comment_added" → "Comment added"; bare actions ("pause") → "Pause". */
export function describeAction(action: string): string {
  const parts = action.split(".");
  return humanize(parts.length > 1 ? parts.slice(1).join(" ") : action);
}

export function ActivityPage() {
  const { company } = useCompany();
  const feed = useQuery(queries.activity(useApi(), company.id));
  return (
    <>
      <PageTitle title="Activity">Activity</PageTitle>
      <QueryState query={feed} empty="Nothing has happened yet.">
        {(entries) => <Feed entries={entries} />}
      </QueryState>
    </>
  );
}

function Feed({ entries }: { entries: ActivityEntry[] }) {
  const { base, agentName, company } = useCompany();
  const actor = (e: ActivityEntry) => (e.actorType === "agent" ? agentName(e.actorId) : e.actorType === "user" ? "Board" : "System");
  const entity = (e: ActivityEntry) => {
    const label =
      (e.details && typeof e.details.identifier === "string" ? e.details.identifier : null) ?? `${e.entityType} ${e.entityId.slice(0, 8)}`;
    if (e.entityType === "issue") return <Link to={`${base}/issues/${e.entityId}`}>{label}</Link>;
    if (e.entityType === "agent") return <Link to={`${base}/agents/${e.entityId}`}>{agentName(e.entityId)}</Link>;
    if (e.entityType === "heartbeat_run" || e.entityType === "run")
      return <Link to={`${base}/runs/${e.entityId}`}>run {e.entityId.slice(0, 8)}</Link>;
    if (e.entityType === "company") return <span>{company.name}</span>;
    return <span>{label}</span>;
  };
  return (
    <ol className="feed" aria-label="Activity, newest first">
      {entries.map((e) => (
        <li key={e.id}>
          <time dateTime={e.createdAt} title={formatTime(e.createdAt)} className="muted">
            {relativeTime(e.createdAt)}
          </time>
          <span>
            <strong>{actor(e)}</strong> · {describeAction(e.action)} · {entity(e)}
            {e.runId ? (
              <>
                {" · "}
                <Link to={`${base}/runs/${e.runId}`} className="muted">
                  during run {e.runId.slice(0, 8)}
                </Link>
              </>
            ) : null}
          </span>
        </li>
      ))}
    </ol>
  );
}
