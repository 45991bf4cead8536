import { describe, expect, it } from "vitest";
import { claudeConfigSchema } from "@staple/adapter-claude/config";
import {
  ADAPTER_CONFIG_SCHEMAS,
  adapterConfigErrors,
  adapterConfigIssues,
  adapterDefaults,
  buildAdapterConfig,
  DEFAULT_COMMANDS,
  EMPTY_ADAPTER_VALUES,
  modelNote,
  modelOptions,
  switchAdapterType,
  valuesFromConfig,
  type AdapterValues,
} from "../src/lib/adapter-config.js";

const v = (patch: Partial<AdapterValues>): AdapterValues => ({ ...EMPTY_ADAPTER_VALUES, ...patch });

describe("buildAdapterConfig", () => {
  it("process: command, split args, optional cwd and timeout", () => {
    expect(buildAdapterConfig("process", v({ command: " /bin/sh ", args: `-c "echo hi"`, cwd: "", timeoutSec: "30" }))).toEqual({
      command: "/bin/sh",
      args: ["-c", "echo hi"],
      timeoutSec: 30,
    });
    expect(buildAdapterConfig("process", v({ command: "node", cwd: "/srv" }))).toEqual({ command: "node", cwd: "/srv" });
  });

  it("http: url and a timeout in seconds sent as timeoutMs", () => {
    const config = buildAdapterConfig("http", v({ url: " https://a.example/hb ", timeoutSec: "2.5", command: "ignored" }));
    expect(config).toEqual({ url: "https://a.example/hb", timeoutMs: 2500 });
    expect(ADAPTER_CONFIG_SCHEMAS.http.safeParse(config).success).toBe(true);
  });

  it("claude_local: defaults the command, sends only filled fields, the API key as a secret env entry", () => {
    expect(buildAdapterConfig("claude_local", v({ command: "" }))).toEqual({ command: "claude" });
    const config = buildAdapterConfig(
      "claude_local",
      v({
        command: "claude",
        cwd: "/repo",
        model: "opus",
        effort: "xhigh",
        maxTurns: "12",
        permissionMode: "acceptEdits",
        timeoutSec: "600",
        apiKey: " sk-ant-x ",
      }),
    );
    expect(config).toEqual({
      command: "claude",
      cwd: "/repo",
      model: "opus",
      effort: "xhigh",
      maxTurns: 12,
      permissionMode: "acceptEdits",
      timeoutSec: 600,
      env: { ANTHROPIC_API_KEY: { type: "secret", value: "sk-ant-x" } },
    });
    expect(ADAPTER_CONFIG_SCHEMAS.claude_local.safeParse(config).success).toBe(true);
  });

  it("codex_local: a chosen sandbox turns the bypass off; the default sends neither", () => {
    expect(buildAdapterConfig("codex_local", v({ command: "codex", reasoningEffort: "high" }))).toEqual({
      command: "codex",
      reasoningEffort: "high",
    });
    expect(buildAdapterConfig("codex_local", v({ command: "codex", sandbox: "workspace-write", apiKey: "sk-1" }))).toEqual({
      command: "codex",
      sandbox: "workspace-write",
      bypassApprovalsAndSandbox: false,
      env: { OPENAI_API_KEY: { type: "secret", value: "sk-1" } },
    });
  });

  it("keeps config keys the form has no field for, and other env entries; an emptied key is removed", () => {
    const loaded = {
      command: "claude",
      extraArgs: ["--verbose"],
      env: { FOO: "bar", ANTHROPIC_API_KEY: { type: "secret", value: "old" } },
    };
    const values = v(valuesFromConfig("claude_local", loaded));
    expect(values.apiKey).toBe("old");
    expect(buildAdapterConfig("claude_local", values)).toEqual(loaded);
    expect(buildAdapterConfig("claude_local", { ...values, apiKey: "" })).toEqual({
      command: "claude",
      extraArgs: ["--verbose"],
      env: { FOO: "bar" },
    });
  });

  it("a masked API key (as the server returns secrets) is kept when untouched, replaced when typed, dropped when removed", () => {
    const masked = { type: "secret", masked: true, fingerprint: "hmac-sha256:0123456789ab" };
    const loaded = { command: "claude", env: { FOO: "bar", ANTHROPIC_API_KEY: masked } };
    const values = v(valuesFromConfig("claude_local", loaded));
    expect(values.apiKey).toBe("");
    expect(values.apiKeyMasked).toBe("hmac-sha256:0123456789ab");
    const kept = buildAdapterConfig("claude_local", values);
    expect(kept).toEqual(loaded);
    // The masked entry stands for the stored secret: the form checks it as the server does once resolved.
    expect(adapterConfigIssues("claude_local", kept)).toEqual([]);
    expect(buildAdapterConfig("claude_local", { ...values, apiKey: "sk-new" })).toEqual({
      command: "claude",
      env: { FOO: "bar", ANTHROPIC_API_KEY: { type: "secret", value: "sk-new" } },
    });
    expect(buildAdapterConfig("claude_local", { ...values, apiKeyMasked: "" })).toEqual({ command: "claude", env: { FOO: "bar" } });
  });

  it("round-trips through valuesFromConfig for every known type", () => {
    const configs: [string, Record<string, unknown>][] = [
      ["process", { command: "/bin/sh", args: ["-c", "echo a b"], cwd: "/tmp", timeoutSec: 5 }],
      ["http", { url: "http://localhost:9/x", timeoutMs: 3000 }],
      ["claude_local", { command: "claude", model: "sonnet", effort: "low", maxTurns: 3, timeoutSec: 60 }],
      ["codex_local", { command: "codex", model: "gpt-5.5", sandbox: "read-only", bypassApprovalsAndSandbox: false }],
    ];
    for (const [type, config] of configs) expect(buildAdapterConfig(type, v(valuesFromConfig(type, config)))).toEqual(config);
  });

  it("unknown types use the JSON text, with a readable error", () => {
    expect(buildAdapterConfig("other", v({ configJson: '{"a":1}' }))).toEqual({ a: 1 });
    expect(() => buildAdapterConfig("other", v({ configJson: "[1]" }))).toThrow(/Adapter configuration: must be a JSON object/);
  });
});

describe("adapter form helpers", () => {
  it("switching type offers the new type's default command, but keeps a custom one", () => {
    expect(switchAdapterType(v({ command: "/bin/sh" }), "claude_local").command).toBe("claude");
    expect(switchAdapterType(v({ command: "claude" }), "codex_local").command).toBe("codex");
    expect(switchAdapterType(v({ command: "codex" }), "process").command).toBe("/bin/sh");
    expect(switchAdapterType(v({ command: "/opt/my-claude" }), "claude_local").command).toBe("/opt/my-claude");
    expect(switchAdapterType(v({ preserved: { x: 1 } }), "http").preserved).toEqual({});
  });

  it("reads model lists of either shape defensively", () => {
    expect(modelOptions({ models: ["opus", "sonnet", "opus", ""], note: "from the CLI" })).toEqual([
      { id: "opus", label: "" },
      { id: "sonnet", label: "" },
    ]);
    expect(modelNote({ models: [], note: "from the CLI" })).toBe("from the CLI");
    expect(modelOptions([{ id: "gpt-5.5", label: "GPT-5.5" }, { name: "gpt-x" }, { nope: 1 }, null, 7])).toEqual([
      { id: "gpt-5.5", label: "GPT-5.5" },
      { id: "gpt-x", label: "" },
    ]);
    expect(modelOptions(null)).toEqual([]);
    expect(modelOptions({ error: "x" })).toEqual([]);
    expect(modelNote([])).toBe("");
  });
});

describe("validation with the adapters' own schemas", () => {
  it("uses the very schema objects the adapter packages export", () => {
    expect(ADAPTER_CONFIG_SCHEMAS.claude_local).toBe(claudeConfigSchema);
  });

  it("refuses what a run would refuse, per field path: maxTurns 0, a negative or huge timeout, bad env", () => {
    const claude = (values: Partial<AdapterValues>) => adapterConfigErrors("claude_local", buildAdapterConfig("claude_local", v(values)));
    expect(Object.keys(claude({ maxTurns: "0" }))).toEqual(["adapterConfig.maxTurns"]);
    expect(Object.keys(claude({ maxTurns: "2.5" }))).toEqual(["adapterConfig.maxTurns"]);
    expect(Object.keys(claude({ timeoutSec: "-5" }))).toEqual(["adapterConfig.timeoutSec"]);
    expect(Object.keys(claude({ timeoutSec: "99999999" }))).toEqual(["adapterConfig.timeoutSec"]);
    expect(Object.keys(claude({ timeoutSec: "abc" }))).toEqual(["adapterConfig.timeoutSec"]);
    expect(claude({ maxTurns: "3", timeoutSec: "600" })).toEqual({});
    const env = adapterConfigErrors("process", { command: "/bin/true", env: { "1BAD": "x", OK: "a\0b" } });
    expect(Object.keys(env).sort()).toEqual(["adapterConfig.env.1BAD", "adapterConfig.env.OK"]);
    expect(env["adapterConfig.env.OK"]).toMatch(/NUL/);
    expect(Object.keys(adapterConfigErrors("process", buildAdapterConfig("process", v({ command: "  " }))))).toEqual([
      "adapterConfig.command",
    ]);
    expect(Object.keys(adapterConfigErrors("http", buildAdapterConfig("http", v({ url: "ftp://x/" }))))).toEqual(["adapterConfig.url"]);
    expect(adapterConfigErrors("http", buildAdapterConfig("http", v({ url: "https://a.example/hb", timeoutSec: "0" })))).toEqual({});
    expect(adapterConfigErrors("other", { anything: 1 })).toEqual({});
  });

  it("a masked secret env entry is accepted only where a stored secret could stand behind it (env values)", () => {
    const masked = { type: "secret", masked: true, fingerprint: "hmac-sha256:0123456789ab" };
    expect(adapterConfigIssues("codex_local", { env: { OPENAI_API_KEY: masked } })).toEqual([]);
    expect(adapterConfigIssues("codex_local", { env: { "BAD NAME": masked } }).map((i) => i.path.join("."))).toEqual([
      "adapterConfig.env.BAD NAME",
    ]);
  });

  it("defaults come from the schemas", () => {
    expect(DEFAULT_COMMANDS).toEqual({
      claude_local: "claude",
      codex_local: "codex",
      gemini_local: "gemini",
      opencode_local: "opencode",
      cursor: "cursor-agent",
    });
    expect(adapterDefaults("process")).toMatchObject({ timeoutSec: 3600, graceSec: 15, args: [], env: {} });
    expect(adapterDefaults("http")).toMatchObject({ method: "POST", timeoutMs: 30_000 });
    expect(adapterDefaults("codex_local")).toMatchObject({ command: "codex", bypassApprovalsAndSandbox: true, timeoutSec: 0 });
    expect(adapterDefaults("other")).toEqual({});
  });
});
