import { describe, expect, it } from "vitest";
import { parseClaudeConfig } from "../src/config.js";
import { billingTypeFor, buildChildEnv } from "../src/environment.js";

describe("parseClaudeConfig", () => {
  it("fills defaults", () => {
    expect(parseClaudeConfig({})).toEqual({
      ok: true,
      config: {
        command: "claude",
        model: null,
        effort: null,
        maxTurns: null,
        permissionMode: null,
        extraArgs: [],
        env: {},
        cwd: null,
        timeoutSec: 0,
        graceSec: 15,
        instructionsFilePath: null,
      },
    });
  });

  it.each([
    [{ command: " " }, "adapterConfig.command"],
    [{ model: 3 }, "adapterConfig.model"],
    [{ effort: "" }, "adapterConfig.effort"],
    [{ maxTurns: 1.5 }, "adapterConfig.maxTurns"],
    [{ maxTurns: -1 }, "adapterConfig.maxTurns"],
    [{ permissionMode: {} }, "adapterConfig.permissionMode"],
    [{ extraArgs: ["a", 1] }, "adapterConfig.extraArgs"],
    [{ env: [] }, "adapterConfig.env"],
    [{ env: { "A=B": "x" } }, "invalid name"],
    [{ env: { A: { type: "other", value: "x" } } }, "adapterConfig.env.A"],
    [{ env: { A: "x\0y" } }, "NUL"],
    [{ graceSec: "5" }, "adapterConfig.graceSec"],
    [{ instructionsFilePath: 1 }, "adapterConfig.instructionsFilePath"],
  ])("rejects %j", (raw, fragment) => {
    const parsed = parseClaudeConfig(raw);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain(fragment);
  });
});

describe("buildChildEnv and billing", () => {
  it("layers engine env, config env and inherited basics; collects secrets and credential keys", () => {
    const { env, secrets } = buildChildEnv(
      { PAPERCLIP_RUN_ID: "r", HOME: "/engine-home" },
      {
        S: { value: "secret-1", secret: true },
        ANTHROPIC_API_KEY: { value: "sk-plain", secret: false },
        P: { value: "plain", secret: false },
      },
      { PATH: "/bin", HOME: "/server-home", ANTHROPIC_API_KEY: "server-key", OTHER: "x" },
    );
    expect(env).toEqual({
      PAPERCLIP_RUN_ID: "r",
      HOME: "/engine-home",
      S: "secret-1",
      ANTHROPIC_API_KEY: "sk-plain",
      P: "plain",
      PATH: "/bin",
    });
    expect(secrets).toEqual(["secret-1", "sk-plain"]);
    expect(buildChildEnv({}, {}, { ANTHROPIC_API_KEY: "server-key" }).env).toEqual({});
  });

  it.each([
    [{}, "subscription_included"],
    [{ ANTHROPIC_API_KEY: "" }, "subscription_included"],
    [{ ANTHROPIC_API_KEY: "sk" }, "metered_api"],
    [{ CLAUDE_CODE_USE_BEDROCK: "1" }, "metered_api"],
    [{ CLAUDE_CODE_USE_BEDROCK: "true" }, "metered_api"],
    [{ CLAUDE_CODE_USE_BEDROCK: "0" }, "subscription_included"],
  ])("billingTypeFor(%j) = %s", (env, expected) => {
    expect(billingTypeFor(env)).toBe(expected);
  });
});
