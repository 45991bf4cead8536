import type { LiveEvent } from "../api/types.js";

export const COST_PERIODS = [
  { value: "today", label: "Today (UTC)" },
  { value: "7d", label: "Last 7 days" },
  { value: "30d", label: "Last 30 days" },
  { value: "month", label: "This month (UTC)" },
  { value: "all", label: "All time" },
  { value: "custom", label: "Custom range" },
] as const;
export type CostPeriod = (typeof COST_PERIODS)[number]["value"];
/** A custom period's days (YYYY-MM-DD, UTC), both inclusive. */
export type CustomRange = { from?: string | null; to?: string | null };

const DAY_MS = 24 * 3600 * 1000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function isCostPeriod(value: string | null | undefined): value is CostPeriod {
  return COST_PERIODS.some((p) => p.value === value);
}

export function isDay(value: string | null | undefined): value is string {
  return !!value && DAY.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
}

/**
 * The from/to (ISO, `to` exclusive) of a period at `now`; "all" is unbounded. A custom range runs
 * from the start of its first day to the end of its last (UTC); a missing or invalid end is open.
 */
export function costRange(period: CostPeriod, now = new Date(), custom: CustomRange = {}): { from?: string; to?: string } {
  if (period === "all") return {};
  if (period === "custom") {
    const range: { from?: string; to?: string } = {};
    if (isDay(custom.from)) range.from = `${custom.from}T00:00:00.000Z`;
    if (isDay(custom.to)) range.to = new Date(Date.parse(`${custom.to}T00:00:00Z`) + DAY_MS).toISOString();
    return range;
  }
  const to = now.toISOString();
  const startOfDay = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  if (period === "today") return { from: new Date(startOfDay).toISOString(), to };
  if (period === "7d") return { from: new Date(now.getTime() - 7 * DAY_MS).toISOString(), to };
  if (period === "30d") return { from: new Date(now.getTime() - 30 * DAY_MS).toISOString(), to };
  return { from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString(), to };
}

/** The cache key part of a period: a custom one names its days. */
export function periodKey(period: CostPeriod, custom: CustomRange = {}): string {
  return period === "custom" ? `custom:${custom.from ?? ""}..${custom.to ?? ""}` : period;
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

export type CostTotals = { costCents: number; inputTokens: number; cachedInputTokens: number; outputTokens: number; runCount: number };
export type AgentModelRow = CostTotals & {
  agentId: string;
  agentName: string;
  provider: string | null;
  biller: string;
  model: string | null;
};
export type ModelRow = CostTotals & { model: string | null; provider: string | null; agents: number };

/**
 * The by-model breakdown from the ledger's agent × model rows: one row per provider and model,
 * most expensive first. Run counts add up because a run belongs to one agent.
 */
export function byModel(rows: readonly AgentModelRow[]): ModelRow[] {
  const groups = new Map<string, ModelRow>();
  for (const r of rows) {
    const key = JSON.stringify([r.provider, r.model]);
    const g = groups.get(key) ?? {
      model: r.model,
      provider: r.provider,
      agents: 0,
      costCents: 0,
      inputTokens: 0,
      cachedInputTokens: 0,
      outputTokens: 0,
      runCount: 0,
    };
    g.agents += 1;
    g.costCents += r.costCents;
    g.inputTokens += r.inputTokens;
    g.cachedInputTokens += r.cachedInputTokens;
    g.outputTokens += r.outputTokens;
    g.runCount += r.runCount;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.costCents - a.costCents || (a.model ?? "~").localeCompare(b.model ?? "~"));
}

export type DayPoint = { date: string; costCents: number; tokens: number };
/** The longest series drawn (a year of days); a longer window shows its last MAX_DAYS days. */
export const MAX_DAYS = 366;

/**
 * One point per UTC day from the window's first to its last day, days without spend at zero. An
 * unbounded start begins at the first day with spend; an unbounded end stops at `now`.
 */
export function dailySeries(
  rows: readonly { date: string; costCents: number; inputTokens: number; cachedInputTokens: number; outputTokens: number }[],
  range: { from?: string; to?: string },
  now = new Date(),
): DayPoint[] {
  const byDate = new Map(rows.map((r) => [r.date, r]));
  const first = range.from ? range.from.slice(0, 10) : rows[0]?.date;
  if (!first) return [];
  // `to` is exclusive: the last day is the one holding the instant just before it.
  const lastMs = range.to ? Date.parse(range.to) - 1 : now.getTime();
  const last = new Date(lastMs).toISOString().slice(0, 10);
  let start = Date.parse(`${first}T00:00:00Z`);
  const end = Date.parse(`${last}T00:00:00Z`);
  if (!(end >= start)) return [];
  start = Math.max(start, end - (MAX_DAYS - 1) * DAY_MS);
  const points: DayPoint[] = [];
  for (let t = start; t <= end; t += DAY_MS) {
    const date = new Date(t).toISOString().slice(0, 10);
    const r = byDate.get(date);
    points.push({ date, costCents: r?.costCents ?? 0, tokens: r ? r.inputTokens + r.cachedInputTokens + r.outputTokens : 0 });
  }
  return points;
}
