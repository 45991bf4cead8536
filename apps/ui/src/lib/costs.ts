import type { LiveEvent } from "../api/types.js";

export const COST_PERIODS = [
  { value: "month", label: "This month (UTC)" },
  { value: "30d", label: "Last 30 days" },
  { value: "all", label: "All time" },
] as const;
export type CostPeriod = (typeof COST_PERIODS)[number]["value"];

export function isCostPeriod(value: string | null | undefined): value is CostPeriod {
  return COST_PERIODS.some((p) => p.value === value);
}

/** The from/to (ISO) of a period at `now`; "all" is unbounded. */
export function costRange(period: CostPeriod, now = new Date()): { from?: string; to?: string } {
  if (period === "all") return {};
  const to = now.toISOString();
  if (period === "30d") return { from: new Date(now.getTime() - 30 * 24 * 3600 * 1000).toISOString(), to };
  return { from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString(), to };
}

/** Live events after which spend may have changed: run status changes, and cost/budget activity. */
export function isCostEvent(event: LiveEvent): boolean {
  if (event.type === "heartbeat.run.status") return true;
  if (event.type !== "activity.logged") return false;
  const p = event.payload;
  const text = `${typeof p.action === "string" ? p.action : ""} ${typeof p.entityType === "string" ? p.entityType : ""}`;
  return /cost|budget|spend/i.test(text);
}

/** Budget use as a whole percentage for a bar (0..100), or null without a budget. */
export function budgetPercent(spendCents: number, budgetCents: number): number | null {
  if (!(budgetCents > 0)) return null;
  return Math.max(0, Math.min(100, Math.round((spendCents / budgetCents) * 100)));
}

export function formatTokens(n: number | null | undefined): string {
  return (n ?? 0).toLocaleString("en-US");
}
