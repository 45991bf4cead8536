// @vitest-environment jsdom
import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { WakeReportSection } from "../src/components/wake-report.js";
import { fakeApi, renderInCompany } from "./helpers/board.js";

const AGENT = "33333333-3333-4333-8333-333333333333";
const ISSUE = "44444444-4444-4444-8444-444444444444";
const route = `GET /api/agents/${AGENT}/wake-report`;

describe("agent page: skipped and held wakes", () => {
  it("shows a quota hold with its reset time, an open loop incident and skipped wakes with readable reasons", async () => {
    const resetAt = "2026-12-04T09:00:00.000Z";
    const api = fakeApi({
      [route]: {
        body: {
          skipped: [
            { id: "w1", source: "timer", reason: "heartbeat.no_actionable_work", issueId: null, requestedAt: "2026-12-03T10:00:00.000Z" },
            { id: "w2", source: "on_demand", reason: "loop_breaker.tripped", issueId: ISSUE, requestedAt: "2026-12-03T11:00:00.000Z" },
            { id: "w3", source: "automation", reason: "something_new", issueId: null, requestedAt: "2026-12-03T12:00:00.000Z" },
          ],
          quotaHolds: [
            {
              id: "h1",
              credentialKind: "cli_login",
              credentialFingerprint: "sha256:0123456789a",
              adapterType: "claude_local",
              resetAt,
              errorCode: "claude_transient_upstream",
              sourceAgentId: null,
              sourceRunId: null,
              heldAgentIds: [AGENT],
              queuedRunCount: 2,
              createdAt: "2026-12-03T08:00:00.000Z",
              updatedAt: "2026-12-03T08:00:00.000Z",
            },
          ],
          loopIncidents: [
            {
              id: "i1",
              agentId: AGENT,
              issueId: ISSUE,
              wakeCount: 10,
              maxWakes: 10,
              windowMinutes: 60,
              blockedWakes: 3,
              lastProgressAt: null,
              trippedAt: "2026-12-03T11:00:00.000Z",
              clearedAt: null,
              clearedReason: null,
            },
          ],
        },
      },
    });
    renderInCompany(<WakeReportSection agentId={AGENT} base="/c/co1" />, api);
    expect(await screen.findByText(/Held: the provider reported a usage limit on this agent's CLI login/)).toBeTruthy();
    expect(screen.getByText(/2 queued runs waiting/)).toBeTruthy();
    expect(screen.getByText("sha256:0123456789a")).toBeTruthy();
    expect(screen.getByText(/Loop breaker: woken 10 times within 60 min/)).toBeTruthy();
    expect(screen.getByText(/Timer: nothing actionable/)).toBeTruthy();
    expect(screen.getByText(/Loop breaker: woken too often on this issue/)).toBeTruthy();
    expect(screen.getByText(/something_new/)).toBeTruthy();
    expect(api.callsTo(route)).toHaveLength(1);
  });

  it("says so when nothing was skipped or held", async () => {
    const api = fakeApi({ [route]: { body: { skipped: [], quotaHolds: [], loopIncidents: [] } } });
    renderInCompany(<WakeReportSection agentId={AGENT} base="/c/co1" />, api);
    expect(await screen.findByText("No skipped or held wakes.")).toBeTruthy();
  });
});
