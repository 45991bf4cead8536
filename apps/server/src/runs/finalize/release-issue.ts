import { releaseIssueExecutionAndPromote } from "../release-promote.js";
import type { FinalizeStep } from "./pipeline.js";

/** Releases the issue's execution lock held by this run and promotes the oldest deferred wake. */
export const releaseIssueStep: FinalizeStep = {
  name: "release_issue_execution_and_promote",
  onlyIfTransitioned: true,
  async run(ctx) {
    const { promotedAgentIds } = await releaseIssueExecutionAndPromote(ctx.q, ctx.run);
    for (const id of promotedAgentIds) ctx.pokes.add(id);
  },
};
