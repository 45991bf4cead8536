import { ACTIVE_RUN_STATUSES } from "@staple/contracts";
/** The execution lock of an issue, as the board shows it. */

export interface LockFields {
  checkoutRunId: string | null;
  executionRunId: string | null;
  executionLockedAt?: string | null;
  executionAgentNameKey?: string | null;
}

export interface LockState {
  /** The run holding the lock: the execution run if set, else the checkout run. */
  runId: string;
  /** Which fields hold it: an execution lock, a checkout, or both (by the same or different runs). */
  kind: "execution" | "checkout" | "both";
  /** When both are set by different runs, the other one. */
  otherRunId: string | null;
  lockedAt: string | null;
}

/** null when the issue holds no lock. */
export function lockState(issue: LockFields): LockState | null {
  const exec = issue.executionRunId || null;
  const checkout = issue.checkoutRunId || null;
  if (!exec && !checkout) return null;
  const kind = exec && checkout ? "both" : exec ? "execution" : "checkout";
  return {
    runId: (exec ?? checkout)!,
    kind,
    otherRunId: exec && checkout && exec !== checkout ? checkout : null,
    lockedAt: issue.executionLockedAt ?? null,
  };
}

const LIVE = new Set<string>(ACTIVE_RUN_STATUSES);

/**
 * How to describe the lock holder: a lock whose run is finished (or unknown) is stale — the usual
 * reason to force-release it; a live run's lock is not, and releasing it lets another run start
 * while that one still works.
 */
export function lockSeverity(runStatus: string | null | undefined): "live" | "stale" | "unknown" {
  if (!runStatus) return "unknown";
  return LIVE.has(runStatus) ? "live" : "stale";
}

/** One sentence for the confirmation dialog. */
export function describeLock(lock: LockState, runStatus: string | null | undefined): string {
  const holder = `run ${lock.runId.slice(0, 8)}`;
  const what = lock.kind === "checkout" ? "checked out by" : "locked for execution by";
  const status = runStatus ? ` (status: ${runStatus.replace(/_/g, " ")})` : " (status unknown)";
  const other = lock.otherRunId ? ` It is also checked out by run ${lock.otherRunId.slice(0, 8)}.` : "";
  const warn =
    lockSeverity(runStatus) === "live"
      ? " That run is still live: releasing the lock lets another run pick the issue up while it keeps working."
      : "";
  return `This issue is ${what} ${holder}${status}.${other}${warn}`;
}
