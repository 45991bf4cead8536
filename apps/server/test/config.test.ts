import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("loadConfig: run engine timing knobs", () => {
  it("leaves the lease and scheduler interval to the engine defaults when unset or empty", () => {
    const config = loadConfig({ STAPLE_LEASE_MS: "" });
    expect(config.leaseMs).toBeUndefined();
    expect(config.schedulerIntervalMs).toBeUndefined();
  });

  it("reads STAPLE_LEASE_MS and STAPLE_SCHEDULER_INTERVAL_MS as integer milliseconds", () => {
    const config = loadConfig({ STAPLE_LEASE_MS: "1500", STAPLE_SCHEDULER_INTERVAL_MS: "250" });
    expect(config.leaseMs).toBe(1500);
    expect(config.schedulerIntervalMs).toBe(250);
  });

  it.each([
    ["STAPLE_LEASE_MS", "abc"],
    ["STAPLE_LEASE_MS", "999"],
    ["STAPLE_LEASE_MS", "1500.5"],
    ["STAPLE_SCHEDULER_INTERVAL_MS", "-1"],
    ["STAPLE_SCHEDULER_INTERVAL_MS", "99"],
  ])("rejects %s=%s with a message naming the variable", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^${name} must be an integer`));
  });
});
