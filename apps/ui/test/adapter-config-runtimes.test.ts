import { describe, expect, it } from "vitest";
import { ADAPTER_TYPES } from "@staple/contracts";
import {
  ADAPTER_HINTS,
  adapterConfigErrors,
  buildAdapterConfig,
  EMPTY_ADAPTER_VALUES,
  switchAdapterType,
  valuesFromConfig,
  type AdapterValues,
} from "../src/lib/adapter-config.js";

const v = (patch: Partial<AdapterValues>): AdapterValues => ({ ...EMPTY_ADAPTER_VALUES, ...patch });
const RUNTIMES = ["gemini_local", "opencode_local", "cursor", "acp_local"] as const;

describe("the hire form knows the Gemini, OpenCode, Cursor and ACP runtimes", () => {
  it("each is an adapter type with a hint and its own schema's validation", () => {
    for (const type of RUNTIMES) {
      expect(ADAPTER_TYPES).toContain(type);
      expect(ADAPTER_HINTS[type]).toBeTruthy();
    }
    expect(adapterConfigErrors("opencode_local", { model: "claude-sonnet" })["adapterConfig.model"]).toContain("provider/model");
    expect(adapterConfigErrors("acp_local", {})["adapterConfig.command"]).toBeTruthy();
    expect(adapterConfigErrors("gemini_local", { approvalMode: "always" })["adapterConfig.approvalMode"]).toBeTruthy();
  });

  it("gemini_local and cursor carry their API key as a secret; opencode_local keeps env untouched", () => {
    expect(buildAdapterConfig("gemini_local", v({ model: "gemini-2.5-pro", apiKey: "AIza-1" }))).toEqual({
      command: "gemini",
      model: "gemini-2.5-pro",
      env: { GEMINI_API_KEY: { type: "secret", value: "AIza-1" } },
    });
    expect(buildAdapterConfig("cursor", v({ apiKey: "key_1", timeoutSec: "600" }))).toEqual({
      command: "cursor-agent",
      timeoutSec: 600,
      env: { CURSOR_API_KEY: { type: "secret", value: "key_1" } },
    });
    const loaded = valuesFromConfig("opencode_local", {
      command: "opencode",
      model: "openai/gpt-5.5",
      env: { OPENAI_API_KEY: "x" },
      variant: "high",
    });
    expect(buildAdapterConfig("opencode_local", v(loaded))).toEqual({
      command: "opencode",
      model: "openai/gpt-5.5",
      env: { OPENAI_API_KEY: "x" },
      variant: "high",
    });
  });

  it("acp_local: the agent command and its arguments round-trip; switching to it drops another CLI's default command", () => {
    const config = { command: "gemini", args: ["--acp"], model: "gemini-2.5-pro" };
    expect(buildAdapterConfig("acp_local", v(valuesFromConfig("acp_local", config)))).toEqual(config);
    expect(switchAdapterType(v({ adapterType: "claude_local", command: "claude" }), "acp_local").command).toBe("");
    expect(switchAdapterType(v({ adapterType: "claude_local", command: "claude" }), "gemini_local").command).toBe("gemini");
  });
});
