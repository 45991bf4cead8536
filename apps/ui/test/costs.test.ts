import { describe, expect, it } from "vitest";
import { budgetPercent, costRange, isCostEvent, isCostPeriod } from "../src/lib/costs.js";

describe("costs helpers", () => {
  const now = new Date("2026-03-15T10:20:30.000Z");
  it("computes period ranges in UTC", () => {
    expect(costRange("month", now)).toEqual({ from: "2026-03-01T00:00:00.000Z", to: "2026-03-15T10:20:30.000Z" });
    expect(costRange("30d", now)).toEqual({ from: "2026-02-13T10:20:30.000Z", to: "2026-03-15T10:20:30.000Z" });
    expect(costRange("all", now)).toEqual({});
    expect(isCostPeriod("30d")).toBe(true);
    expect(isCostPeriod("week")).toBe(false);
    expect(isCostPeriod(null)).toBe(false);
  });
  it("caps the budget bar and has none without a budget", () => {
    expect(budgetPercent(50, 200)).toBe(25);
    expect(budgetPercent(500, 200)).toBe(100);
    expect(budgetPercent(5, 0)).toBeNull();
  });
  it("reloads on run status and cost activity only", () => {
    expect(isCostEvent({ type: "heartbeat.run.status", companyId: "c", payload: { status: "succeeded" } })).toBe(true);
    expect(isCostEvent({ type: "activity.logged", companyId: "c", payload: { action: "cost.recorded", entityType: "cost_event" } })).toBe(
      true,
    );
    expect(isCostEvent({ type: "activity.logged", companyId: "c", payload: { action: "issue.updated", entityType: "issue" } })).toBe(false);
    expect(isCostEvent({ type: "heartbeat.run.log", companyId: "c", payload: {} })).toBe(false);
  });
});
