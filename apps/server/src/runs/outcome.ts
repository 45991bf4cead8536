import type { AdapterResult } from "@staple/adapter-kit";

export type TerminalStatus = "succeeded" | "failed" | "cancelled" | "timed_out";

export interface RunOutcome {
  status: TerminalStatus;
  error: string | null;
  errorCode: string | null;
  /** result_json.stopReason */
  stopReason: "completed" | "adapter_failed" | "timeout" | "cancelled" | "process_lost";
}

/**
 * Maps what the adapter did to the run's terminal state (docs/runs.md#outcome). Pure, tested by a
 * table.
 * `thrown` is an exception the adapter raised instead of returning a result; `aborted` means the
 * run was cancelled while executing (the cancel itself already wrote the terminal row).
 */
export function mapRunOutcome(result: AdapterResult | null, thrown: unknown, aborted: boolean): RunOutcome {
  if (aborted) return { status: "cancelled", error: "Cancelled by control plane", errorCode: "cancelled", stopReason: "cancelled" };
  if (thrown !== undefined || !result) {
    const message = thrown instanceof Error ? thrown.message : thrown === undefined ? "Adapter returned no result" : String(thrown);
    return { status: "failed", error: message, errorCode: "adapter_failed", stopReason: "adapter_failed" };
  }
  if (result.timedOut) {
    return {
      status: "timed_out",
      error: result.errorMessage ?? "Timed out",
      errorCode: result.errorCode ?? "timeout",
      stopReason: "timeout",
    };
  }
  if (result.exitCode === 0 && !result.errorMessage) return { status: "succeeded", error: null, errorCode: null, stopReason: "completed" };
  return {
    status: "failed",
    error: result.errorMessage ?? (result.exitCode !== null ? `Process exited with code ${result.exitCode}` : "Adapter failed"),
    errorCode: result.errorCode ?? "adapter_failed",
    stopReason: "adapter_failed",
  };
}

/** Wakeup request status that mirrors a finished run (a timed-out run's wake is `timed_out`). */
export function wakeStatusFor(status: TerminalStatus): string {
  return status === "succeeded" ? "completed" : status;
}

/**
 * Billed cents from an adapter's cost: round(costUsd × 100), 0 for subscription plans
 * (docs/budgets.md#the-cost-ledger).
 */
export function billedCents(costUsd: number | null | undefined, billingType: string): number {
  if (billingType === "subscription_included") return 0;
  if (typeof costUsd !== "number" || !Number.isFinite(costUsd) || costUsd <= 0) return 0;
  return Math.round(costUsd * 100);
}

const BILLING_ALIASES: Record<string, string> = { api: "metered_api", subscription: "subscription_included" };
export function normalizeBillingType(value: string | null | undefined): string {
  const v = value ? (BILLING_ALIASES[value] ?? value) : "unknown";
  return ["metered_api", "subscription_included", "subscription_overage", "credits", "fixed", "unknown"].includes(v) ? v : "unknown";
}
