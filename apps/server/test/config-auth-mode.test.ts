import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("deployment mode and bind address", () => {
  it("authenticated mode is accepted, and may bind to a network address", () => {
    const config = loadConfig({ STAPLE_DEPLOYMENT_MODE: "authenticated", HOST: "0.0.0.0" });
    expect(config.deploymentMode).toBe("authenticated");
    expect(config.host).toBe("0.0.0.0");
    expect(loadConfig({ PAPERCLIP_DEPLOYMENT_MODE: "authenticated" }).deploymentMode).toBe("authenticated");
  });

  it("local_trusted refuses a network address, naming authenticated mode as the way", () => {
    expect(() => loadConfig({ HOST: "0.0.0.0" })).toThrow(ConfigError);
    expect(() => loadConfig({ HOST: "192.168.1.5" })).toThrow(/STAPLE_DEPLOYMENT_MODE=authenticated/);
    // The old escape hatch no longer opens local_trusted to the network.
    expect(() => loadConfig({ HOST: "0.0.0.0", STAPLE_ALLOW_NETWORK_BOARD: "1" })).toThrow(ConfigError);
    expect(loadConfig({ HOST: "::1" }).host).toBe("::1");
  });

  it("authenticated mode cannot be combined with an unauthenticated board", () => {
    expect(() => loadConfig({ STAPLE_DEPLOYMENT_MODE: "authenticated", STAPLE_UNAUTHENTICATED_BOARD: "1" })).toThrow(/cannot be combined/);
  });
});
