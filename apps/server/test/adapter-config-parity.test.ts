import { describe, expect, it } from "vitest";
import { claudeConfigSchema, parseClaudeConfig } from "@staple/adapter-claude";
import { codexConfigSchema, parseCodexConfig } from "@staple/adapter-codex";
import { httpConfigSchema, parseHttpConfig } from "@staple/adapter-http";
import { parseProcessConfig, processConfigSchema } from "@staple/adapter-process";
import { geminiConfigSchema } from "@staple/adapter-gemini";
import { opencodeConfigSchema } from "@staple/adapter-opencode";
import { cursorConfigSchema } from "@staple/adapter-cursor";
import { acpConfigSchema } from "@staple/adapter-acp";
import { ADAPTER_CONFIG_SCHEMAS } from "../src/agents/adapter-registry.js";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";

/**
 * One schema per adapter config: for every row, the API's answer at save time (201, or 400 naming the
 * field) and the adapter's answer at run start (what execute/testEnvironment parse with) agree, and
 * both match the expected verdict. A refused row names the field path it is refused for.
 */
const t = useTestApp();

type RunParse = (raw: Record<string, unknown>) => { ok: true } | { ok: false; issues: { path: (string | number)[] }[] };
type Row = [label: string, config: Record<string, unknown>, refusedAt: string | null];

const WEEK = 7 * 24 * 3600;
const SECRET = { type: "secret", value: "s3cret-value-123" };

const ADAPTERS: { type: "process" | "http" | "claude_local" | "codex_local"; run: RunParse; rows: Row[] }[] = [
  {
    type: "process",
    run: parseProcessConfig,
    rows: [
      ["minimal", { command: "/bin/true" }, null],
      ["no command", {}, "command"],
      ["blank command", { command: "  " }, "command"],
      ["NUL in command", { command: "/bin/tr\u0000ue" }, "command"],
      ["explicit 0 timeout (none)", { command: "/bin/true", timeoutSec: 0 }, null],
      ["null timeout (default)", { command: "/bin/true", timeoutSec: null }, null],
      ["a week", { command: "/bin/true", timeoutSec: WEEK }, null],
      ["negative timeout", { command: "/bin/true", timeoutSec: -1 }, "timeoutSec"],
      ["huge timeout", { command: "/bin/true", timeoutSec: 1e12 }, "timeoutSec"],
      ["just over a week", { command: "/bin/true", timeoutSec: WEEK + 1 }, "timeoutSec"],
      ["string timeout", { command: "/bin/true", timeoutSec: "30" }, "timeoutSec"],
      ["negative grace", { command: "/bin/true", graceSec: -2 }, "graceSec"],
      ["args not an array", { command: "/bin/true", args: "-c x" }, "args"],
      ["NUL in an arg", { command: "/bin/true", args: ["a\u0000b"] }, "args.0"],
      ["empty cwd", { command: "/bin/true", cwd: "" }, "cwd"],
      ["env name starting with a digit", { command: "/bin/true", env: { "1BAD": "x" } }, "env.1BAD"],
      ["env name with =", { command: "/bin/true", env: { "A=B": "x" } }, "env.A=B"],
      ["NUL in a plain env value", { command: "/bin/true", env: { OK: "a\u0000b" } }, "env.OK"],
      ["NUL in a secret env value", { command: "/bin/true", env: { OK: { type: "secret", value: "a\u0000b" } } }, "env.OK"],
      ["unknown env entry type", { command: "/bin/true", env: { OK: { type: "vault", value: "x" } } }, "env.OK"],
      ["env an array", { command: "/bin/true", env: ["A=1"] }, "env"],
      ["plain and secret env entries", { command: "/bin/true", env: { A: "1", B: { type: "plain", value: "2" }, C: SECRET } }, null],
      ["unknown keys are kept", { command: "/bin/true", note: "hello" }, null],
    ],
  },
  {
    type: "http",
    run: parseHttpConfig,
    rows: [
      ["https url", { url: "https://example.com/hook" }, null],
      ["no url", {}, "url"],
      ["ftp url", { url: "ftp://example.com/hook" }, "url"],
      ["not a url", { url: "not a url" }, "url"],
      ["credentials in the url", { url: "https://user:pw@example.com/hook" }, "url"],
      ["lower-case method", { url: "https://example.com/hook", method: "put" }, null],
      ["unsupported method", { url: "https://example.com/hook", method: "TRACE" }, "method"],
      [
        "header value with a line break",
        { url: "https://example.com/hook", headers: { "X-Token": "a\r\nInjected: 1" } },
        "headers.X-Token",
      ],
      ["header name with a space", { url: "https://example.com/hook", headers: { "Bad Name": "x" } }, "headers.Bad Name"],
      ["header value not a string", { url: "https://example.com/hook", headers: { "X-N": 1 } }, "headers.X-N"],
      ["timeout 0 (none)", { url: "https://example.com/hook", timeoutMs: 0 }, null],
      ["negative timeout", { url: "https://example.com/hook", timeoutMs: -5 }, "timeoutMs"],
      ["huge timeout", { url: "https://example.com/hook", timeoutMs: 1e12 }, "timeoutMs"],
      ["fractional ms", { url: "https://example.com/hook", timeoutMs: 1.5 }, "timeoutMs"],
      ["payloadTemplate an array", { url: "https://example.com/hook", payloadTemplate: [1] }, "payloadTemplate"],
    ],
  },
  {
    type: "claude_local",
    run: parseClaudeConfig,
    rows: [
      ["empty (all defaults)", {}, null],
      ["maxTurns 0", { maxTurns: 0 }, "maxTurns"],
      ["maxTurns negative", { maxTurns: -1 }, "maxTurns"],
      ["maxTurns fractional", { maxTurns: 2.5 }, "maxTurns"],
      ["maxTurns 12", { maxTurns: 12 }, null],
      ["negative timeout", { timeoutSec: -5 }, "timeoutSec"],
      ["huge timeout", { timeoutSec: 1e12 }, "timeoutSec"],
      ["blank command", { command: "" }, "command"],
      ["empty model", { model: "" }, "model"],
      ["model and effort", { model: "opus", effort: "high", permissionMode: "acceptEdits" }, null],
      ["NUL in extraArgs", { extraArgs: ["--x\u0000"] }, "extraArgs.0"],
      ["bad env name", { env: { "MY-KEY": SECRET } }, "env.MY-KEY"],
      ["NUL in env value", { env: { ANTHROPIC_API_KEY: { type: "secret", value: "sk\u0000" } } }, "env.ANTHROPIC_API_KEY"],
      ["empty instructionsFilePath", { instructionsFilePath: "" }, "instructionsFilePath"],
      ["promptTemplate", { promptTemplate: "Hi {{agent.name}}" }, null],
      ["promptTemplate not a string", { promptTemplate: 3 }, "promptTemplate"],
    ],
  },
  {
    type: "codex_local",
    run: parseCodexConfig,
    rows: [
      ["empty (all defaults)", {}, null],
      ["a sandbox", { sandbox: "read-only" }, null],
      ["unknown sandbox", { sandbox: "yolo" }, "sandbox"],
      ["sandbox with the bypass on", { sandbox: "read-only", bypassApprovalsAndSandbox: true }, "sandbox"],
      ["bypass not a boolean", { bypassApprovalsAndSandbox: "yes" }, "bypassApprovalsAndSandbox"],
      ["flag-like model", { model: "--dangerous" }, "model"],
      ["empty model (unset)", { model: "" }, null],
      ["effort breaking the TOML override", { reasoningEffort: 'high"\nx=1' }, "reasoningEffort"],
      ["negative timeout", { timeoutSec: -1 }, "timeoutSec"],
      ["huge grace", { graceSec: 1e9 }, "graceSec"],
      ["bad env name", { env: { "": "x" } }, "env."],
      ["NUL in env value", { env: { OPENAI_API_KEY: "a\u0000" } }, "env.OPENAI_API_KEY"],
      ["extraArgs not an array", { extraArgs: "--x" }, "extraArgs"],
    ],
  },
];

const detailPaths = (body: { details?: { path: unknown[] }[] }) => (body.details ?? []).map((d) => d.path.join("."));

describe("one schema per adapter config: save-time acceptance == run-time acceptance", () => {
  it("the server's registry holds the adapters' own schema objects", () => {
    expect(ADAPTER_CONFIG_SCHEMAS).toEqual({
      process: processConfigSchema,
      http: httpConfigSchema,
      claude_local: claudeConfigSchema,
      codex_local: codexConfigSchema,
      gemini_local: geminiConfigSchema,
      opencode_local: opencodeConfigSchema,
      cursor: cursorConfigSchema,
      acp_local: acpConfigSchema,
    });
    expect(ADAPTER_CONFIG_SCHEMAS.claude_local).toBe(claudeConfigSchema);
    expect(ADAPTER_CONFIG_SCHEMAS.gemini_local).toBe(geminiConfigSchema);
  });

  for (const adapter of ADAPTERS) {
    it(`${adapter.type}: create (POST) and run start agree on every row`, async () => {
      const company = await createCompany(t.current);
      let n = 0;
      for (const [label, config, refusedAt] of adapter.rows) {
        const res = await t.current.post(`/api/companies/${company.id}/agents`, {
          name: `Parity ${++n}`,
          adapterType: adapter.type,
          adapterConfig: config,
        });
        const run = adapter.run(config);
        const saved = res.status === 201;
        expect(saved, `${label}: save ${res.status} ${JSON.stringify(res.body)}`).toBe(run.ok);
        expect(saved, `${label}: expected ${refusedAt === null ? "accepted" : `refused at ${refusedAt}`}`).toBe(refusedAt === null);
        if (refusedAt !== null) {
          expect(res.status, label).toBe(400);
          // A NUL anywhere in a JSON body is already refused by the route (at the string's own path, e.g. `.value`).
          const field = `adapterConfig.${refusedAt}`;
          expect(
            detailPaths(res.body).some((p) => p === field || p.startsWith(`${field}.`)),
            `${label}: ${JSON.stringify(res.body)}`,
          ).toBe(true);
          if (!run.ok)
            expect(
              run.issues.map((i) => i.path.join(".")),
              label,
            ).toContain(refusedAt);
        }
      }
    });
  }

  it("PATCH refuses what a run would refuse (maxTurns 0) and names the field; nothing is stored", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterType: "claude_local", adapterConfig: { maxTurns: 3 } });
    const res = await t.current.patch(`/api/agents/${agent.id}`, { adapterConfig: { maxTurns: 0 } });
    expect(res.status).toBe(400);
    expect(detailPaths(res.body)).toEqual(["adapterConfig.maxTurns"]);
    expect(parseClaudeConfig({ maxTurns: 0 }).ok).toBe(false);
    expect((await t.current.get(`/api/agents/${agent.id}`)).body.adapterConfig).toEqual({ maxTurns: 3 });
  });

  it("a masked secret sent back is checked as the stored value it stands for: accepted with a valid config, the config's own faults still refused", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, {
      adapterType: "claude_local",
      adapterConfig: { env: { ANTHROPIC_API_KEY: SECRET } },
    });
    const read = (await t.current.get(`/api/agents/${agent.id}`)).body.adapterConfig;
    expect(read.env.ANTHROPIC_API_KEY).toMatchObject({ type: "secret", masked: true });

    const bad = await t.current.patch(`/api/agents/${agent.id}`, { adapterConfig: { ...read, maxTurns: 0 } });
    expect(bad.status).toBe(400);
    expect(detailPaths(bad.body)).toEqual(["adapterConfig.maxTurns"]);

    const ok = await t.current.patch(`/api/agents/${agent.id}`, { adapterConfig: { ...read, maxTurns: 4 } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const [row] = await t.current.tdb.db.query<{ adapterConfig: Record<string, unknown> }>(
      "SELECT adapter_config FROM agents WHERE id = $1",
      [agent.id],
    );
    expect(row!.adapterConfig).toEqual({ env: { ANTHROPIC_API_KEY: SECRET }, maxTurns: 4 });
    expect(parseClaudeConfig(row!.adapterConfig).ok).toBe(true);
  });

  it("agent-hires (the approvals hire path) is checked by the same registry", async () => {
    const company = await createCompany(t.current);
    const res = await t.current.post(`/api/companies/${company.id}/agent-hires`, {
      name: "Hire Zero",
      adapterType: "claude_local",
      adapterConfig: { maxTurns: 0 },
    });
    expect(res.status).toBe(400);
    expect(detailPaths(res.body)).toEqual(["adapterConfig.maxTurns"]);
    expect((await t.current.get(`/api/companies/${company.id}/agents`)).body).toEqual([]);
  });

  it("switching adapter type checks the stored config against the new type's schema", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { adapterType: "claude_local", adapterConfig: { maxTurns: 3 } });
    const res = await t.current.patch(`/api/agents/${agent.id}`, { adapterType: "process" });
    expect(res.status).toBe(400);
    expect(detailPaths(res.body)).toEqual(["adapterConfig.command"]);
  });
});
