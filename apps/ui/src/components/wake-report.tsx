import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { formatTime, relativeTime } from "../lib/format.js";
import { QueryState } from "./query-state.js";
import { Section } from "./ui.js";

/** Readable words for the skip reasons the engine records (docs/runs.md#seeing-skipped-and-held-wakes). */
const REASONS: Record<string, string> = {
  "heartbeat.no_actionable_work": "Timer: nothing actionable (no workable issue, mention, interaction or approval)",
  "heartbeat.disabled": "Timer heartbeat disabled",
  "heartbeat.wakeOnDemand.disabled": "Wake on demand disabled",
  "loop_breaker.tripped": "Loop breaker: woken too often on this issue without progress",
  "budget.blocked": "Budget blocked",
  issue_dependencies_blocked: "Issue blocked by open blockers",
  issue_tree_hold_active: "Issue under a pause hold",
};

/**
 * The agent page's "Skipped and held wakes" section: active provider quota holds with their reset
 * time, open loop-breaker incidents, and the most recent skipped wakes with their reason.
 */
export function WakeReportSection({ agentId, base }: { agentId: string; base: string }) {
  const api = useApi();
  const report = useQuery({
    queryKey: ["agent-wake-report", agentId],
    queryFn: () => unwrap(api.GET("/api/agents/{id}/wake-report", { params: { path: { id: agentId } } })),
    refetchInterval: 30_000,
  });
  return (
    <Section title="Skipped and held wakes">
      <QueryState
        query={report}
        isEmpty={(r) => r.skipped.length === 0 && r.quotaHolds.length === 0 && r.loopIncidents.length === 0}
        empty="No skipped or held wakes."
      >
        {(r) => (
          <>
            {r.quotaHolds.map((h) => (
              <p key={h.id} className="notice">
                Held: the provider reported a usage limit on this agent's {h.credentialKind === "api_key" ? "API key" : "CLI login"} (
                <span className="mono">{h.credentialFingerprint}</span>). New runs wait until the reset at {formatTime(h.resetAt)} (
                {relativeTime(h.resetAt)}); {h.queuedRunCount} queued run{h.queuedRunCount === 1 ? "" : "s"} waiting.
              </p>
            ))}
            {r.loopIncidents.map((i) => (
              <p key={i.id} className="notice">
                Loop breaker: woken {i.wakeCount} times within {i.windowMinutes} min on{" "}
                <Link to={`${base}/issues/${i.issueId}`}>an issue</Link> without progress; not woken for it since {formatTime(i.trippedAt)}{" "}
                ({i.blockedWakes} wake{i.blockedWakes === 1 ? "" : "s"} held back). A comment from someone else or a status change resumes
                it.
              </p>
            ))}
            {r.skipped.length > 0 ? (
              <ul className="plain list-rows">
                {r.skipped.map((w) => (
                  <li key={w.id}>
                    <span className="muted">{formatTime(w.requestedAt)}</span> {w.source}:{" "}
                    {REASONS[w.reason ?? ""] ?? w.reason ?? "no reason"}
                    {w.issueId ? (
                      <>
                        {" · "}
                        <Link to={`${base}/issues/${w.issueId}`}>issue</Link>
                      </>
                    ) : null}
                  </li>
                ))}
              </ul>
            ) : null}
          </>
        )}
      </QueryState>
    </Section>
  );
}
