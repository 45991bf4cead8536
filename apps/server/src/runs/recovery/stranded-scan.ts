import type { Database } from "../../db/database.js";
import type { WakeupEnqueuer } from "../enqueue.js";
import { type ReconcileResult, reconcileStrandedAssignedIssues } from "./stranded.js";

/** Open issues a steady pass probes besides the changed ones: every issue is probed again within ceil(open / slice) passes. */
export const STRANDED_SLICE_SIZE = 250;
/**
 * How far before the previous pass's start a pass looks for changes. A write is seen by the pass
 * after it committed, but it may carry an earlier timestamp (`now()` is its transaction's start, or
 * another server's clock): the margin covers transactions up to this long and clock skew up to it.
 * Longer ones are met by the slice.
 */
export const STRANDED_CHANGE_MARGIN_MS = 60_000;

/**
 * The periodic pass's view of the stranded-issue reconciliation (docs/runs.md#stranded-issue-reconciliation).
 * The first pass of a process probes every open agent-assigned issue; each later pass probes the
 * issues that may have changed since the previous pass started (minus the margin) plus the next
 * slice in id order, wrapping around. Correctness does not rest on this state: it only chooses
 * what to look at, every action is still decided again under the issue's row lock, and a lost
 * state (a restart) means one full pass. Two servers each keep their own.
 */
export function createStrandedScanner(opts: { sliceSize?: number; marginMs?: number } = {}) {
  const sliceSize = opts.sliceSize ?? STRANDED_SLICE_SIZE;
  const marginMs = opts.marginMs ?? STRANDED_CHANGE_MARGIN_MS;
  let since: string | null = null;
  let after = "";
  return {
    async pass(db: Database, enqueuer: WakeupEnqueuer): Promise<ReconcileResult> {
      const result = await reconcileStrandedAssignedIssues(db, enqueuer, {
        scope: since === null ? { kind: "full" } : { kind: "changed", since, after, sliceSize },
      });
      // A pass stopped at the action limit left actionable issues unvisited: the next pass looks
      // at the same window of changes again (and the same slice) rather than skipping them.
      if (!result.scan.truncated) {
        since = new Date(Date.parse(result.scan.startedAt) - marginMs).toISOString();
        after = result.scan.sliceEnd ?? "";
      }
      return result;
    },
  };
}
