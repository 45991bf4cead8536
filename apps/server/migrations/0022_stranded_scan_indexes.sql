-- The stranded-issue reconciliation probes, on a steady pass, only the issues that may have changed
-- since its previous pass plus a bounded slice of the rest (docs/runs.md#stranded-issue-reconciliation).
-- Two lookups serve that: runs on an issue that finished after a time (the usual way an issue becomes
-- stranded), and the next slice of open agent-assigned issues in id order.
CREATE INDEX heartbeat_runs_issue_finished_idx ON heartbeat_runs (finished_at)
  WHERE issue_id IS NOT NULL AND finished_at IS NOT NULL;
CREATE INDEX issues_active_work_idx ON issues (id)
  WHERE status IN ('todo', 'in_progress') AND assignee_agent_id IS NOT NULL AND hidden_at IS NULL;
