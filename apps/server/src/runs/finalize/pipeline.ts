import type { AgentStatus } from "@staple/contracts";
import type { AdapterResult } from "@staple/adapter-kit";
import type { Queryable } from "../../db/database.js";
import type { RunOutcome } from "../outcome.js";
import type { RunRow } from "../rows.js";

export interface FinalizeContext {
  q: Queryable;
  /** The run as it was claimed (status `running`). */
  run: RunRow;
  agent: { id: string; companyId: string; adapterType: string };
  outcome: RunOutcome;
  result: AdapterResult | null;
  log: { logRef: string | null; bytes: number; sha256: string | null; stdoutExcerpt: string | null; stderrExcerpt: string | null };
  /** The adapter's configured timeout (0 = none), recorded in the stop metadata. */
  timeoutSec: number;
  /** Redacts secret values from text that is persisted (errors, summaries, result JSON). */
  redact: (text: string) => string;
  /** The liveness verdict, computed before the persist step writes it with the outcome. */
  liveness?: { state: string; reason: string; nextAction: string | null; useful: boolean } | null;
  /** Set by the persist step: this pipeline made the run terminal (false when a cancel got there first). */
  transitioned: boolean;
  /** The terminal row after the persist step. */
  finalRun: RunRow | null;
  /** Agents whose queues should be looked at once the transaction commits. */
  pokes: Set<string>;
  /** Set by the agent-status step: the status it gave the agent (unset: the agent was left as it was). */
  agentStatus?: AgentStatus;
}

/**
 * One step of run finalization. Steps run in the order of docs/runs.md#finalization, all inside one
 * transaction, so "the run is terminal" and "its issue lock is released" commit together. The
 * recovery features (liveness, bounded retries, missing-comment policy, continuation) are further
 * steps inserted at their places in the list.
 */
export interface FinalizeStep {
  name: string;
  /** Steps with `onlyIfTransitioned` are skipped when a cancel already finalized the run. */
  onlyIfTransitioned: boolean;
  run(ctx: FinalizeContext): Promise<void>;
}

export async function runFinalizeSteps(steps: readonly FinalizeStep[], ctx: FinalizeContext): Promise<void> {
  for (const step of steps) {
    if (step.onlyIfTransitioned && !ctx.transitioned) continue;
    await step.run(ctx);
  }
}
