import { describe, expect, it } from "vitest";
import { decideLoopBreak, type LoopBreakerDecision, type LoopBreakerFacts } from "../src/runs/loop-breaker.js";
import { credentialIdentity, MAX_HOLD_MS, quotaResetAt } from "../src/runs/quota-holds.js";

/** Pure parts of the wake breakers: the loop breaker decision table, credential identity, quota reset time. */

const now = new Date("2026-12-03T12:00:00Z");
const minsAgo = (m: number) => new Date(now.getTime() - m * 60_000);

describe("decideLoopBreak", () => {
  const base: LoopBreakerFacts = {
    settings: { enabled: true, maxWakes: 3, windowMinutes: 60 },
    now,
    wakeTimes: [],
    lastProgressAt: null,
    openIncident: null,
  };
  const three = [minsAgo(30), minsAgo(20), minsAgo(10)];
  const cases: [string, Partial<LoopBreakerFacts>, LoopBreakerDecision][] = [
    ["no earlier wakes", {}, { action: "allow", clearIncidentId: null }],
    ["two wakes, limit three", { wakeTimes: three.slice(1) }, { action: "allow", clearIncidentId: null }],
    ["three wakes without progress trip", { wakeTimes: three }, { action: "block", trip: true, wakeCount: 3, incidentId: null }],
    [
      "wakes outside the window do not count",
      { wakeTimes: [minsAgo(90), minsAgo(70), minsAgo(10)] },
      { action: "allow", clearIncidentId: null },
    ],
    [
      "wakes before the last progress do not count",
      { wakeTimes: three, lastProgressAt: minsAgo(25) },
      { action: "allow", clearIncidentId: null },
    ],
    [
      "progress long ago does not reset a fresh loop",
      { wakeTimes: three, lastProgressAt: minsAgo(45) },
      { action: "block", trip: true, wakeCount: 3, incidentId: null },
    ],
    [
      "an open incident keeps blocking without progress (even past the window)",
      { wakeTimes: [], openIncident: { id: "i1", trippedAt: minsAgo(600) } },
      { action: "block", trip: false, wakeCount: 0, incidentId: "i1" },
    ],
    [
      "progress before the trip does not clear it",
      { openIncident: { id: "i1", trippedAt: minsAgo(5) }, lastProgressAt: minsAgo(6), wakeTimes: three },
      { action: "block", trip: false, wakeCount: 0, incidentId: "i1" },
    ],
    [
      "progress after the trip clears it",
      { openIncident: { id: "i1", trippedAt: minsAgo(5) }, lastProgressAt: minsAgo(1), wakeTimes: three },
      { action: "allow", clearIncidentId: "i1" },
    ],
    [
      "disabled: never blocks",
      { settings: { enabled: false, maxWakes: 3, windowMinutes: 60 }, wakeTimes: [...three, ...three] },
      { action: "allow", clearIncidentId: null },
    ],
    [
      "disabled: clears an open incident",
      { settings: { enabled: false, maxWakes: 3, windowMinutes: 60 }, openIncident: { id: "i1", trippedAt: minsAgo(5) } },
      { action: "allow", clearIncidentId: "i1" },
    ],
    [
      "a wider window counts older wakes",
      { settings: { enabled: true, maxWakes: 3, windowMinutes: 120 }, wakeTimes: [minsAgo(90), minsAgo(70), minsAgo(10)] },
      { action: "block", trip: true, wakeCount: 3, incidentId: null },
    ],
  ];
  it.each(cases)("%s", (_label, patch, expected) => {
    expect(decideLoopBreak({ ...base, ...patch })).toEqual(expected);
  });
});

describe("credentialIdentity", () => {
  const env = { HOME: "/home/ops" };
  const id = (agent: { adapterType: string; adapterConfig: unknown }, serverEnv: Record<string, string> = env) =>
    credentialIdentity(agent, serverEnv);
  it("the same API key value is one credential whatever the adapter or entry form", () => {
    const a = id({ adapterType: "claude_local", adapterConfig: { env: { ANTHROPIC_API_KEY: { type: "secret", value: "sk-ant-one" } } } });
    const b = id({ adapterType: "process", adapterConfig: { env: { ANTHROPIC_API_KEY: "sk-ant-one" } } });
    const c = id({ adapterType: "claude_local", adapterConfig: { env: { ANTHROPIC_API_KEY: "sk-ant-two" } } });
    expect(a).toEqual({ kind: "api_key", fingerprint: expect.stringMatching(/^sha256:[0-9a-f]{32}$/) });
    expect(b!.fingerprint).toBe(a!.fingerprint);
    expect(c!.fingerprint).not.toBe(a!.fingerprint);
    expect(JSON.stringify(a)).not.toContain("sk-ant-one");
  });
  it("CLI logins: same adapter type and config directory share; another HOME or config dir or adapter does not", () => {
    const plain = id({ adapterType: "claude_local", adapterConfig: {} });
    expect(plain!.kind).toBe("cli_login");
    expect(id({ adapterType: "claude_local", adapterConfig: { env: { HOME: "/home/ops" } } })!.fingerprint).toBe(plain!.fingerprint);
    expect(id({ adapterType: "claude_local", adapterConfig: { env: { HOME: "/home/other" } } })!.fingerprint).not.toBe(plain!.fingerprint);
    expect(id({ adapterType: "claude_local", adapterConfig: { env: { CLAUDE_CONFIG_DIR: "/etc/c2" } } })!.fingerprint).not.toBe(
      plain!.fingerprint,
    );
    expect(id({ adapterType: "codex_local", adapterConfig: {} })!.fingerprint).not.toBe(plain!.fingerprint);
  });
  it("a plain script with no key has no known credential", () => {
    expect(id({ adapterType: "process", adapterConfig: { command: "/bin/true" } })).toBeNull();
  });
});

describe("quotaResetAt", () => {
  const failed = { status: "failed", errorCode: "claude_transient_upstream", resultJson: null };
  const later = new Date(now.getTime() + 3600_000).toISOString();
  it.each([
    ["usage limit with a reset time", failed, { errorFamily: "transient_upstream", retryNotBefore: later }, later],
    [
      "reset time from the stored result",
      { ...failed, resultJson: { errorFamily: "transient_upstream", retryNotBefore: later } },
      null,
      later,
    ],
    ["no reset time", failed, { errorFamily: "transient_upstream" }, null],
    ["reset in the past", failed, { errorFamily: "transient_upstream", retryNotBefore: minsAgo(1).toISOString() }, null],
    ["not transient", { ...failed, errorCode: "adapter_failed" }, { retryNotBefore: later }, null],
    ["succeeded", { ...failed, status: "succeeded" }, { errorFamily: "transient_upstream", retryNotBefore: later }, null],
    ["unparseable", failed, { errorFamily: "transient_upstream", retryNotBefore: "tomorrow-ish" }, null],
  ] as const)("%s", (_label, run, reported, expected) => {
    expect(quotaResetAt(run, reported, now)?.toISOString() ?? null).toBe(expected);
  });
  it("a reset months away is clamped to seven days", () => {
    const far = new Date(now.getTime() + 90 * 86_400_000).toISOString();
    expect(quotaResetAt(failed, { errorFamily: "transient_upstream", retryNotBefore: far }, now)!.getTime()).toBe(
      now.getTime() + MAX_HOLD_MS,
    );
  });
});
