import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { EnvironmentCheck } from "@staple/adapter-kit";
import { claudeAdapter } from "../src/index.js";
import { FAKE_CLAUDE } from "./helpers/ctx.js";

const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "adapter-claude-env-")));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const testEnvironment = claudeAdapter.testEnvironment!;
const find = (checks: EnvironmentCheck[], code: string) => checks.find((c) => c.code === code);
const isRoot = process.getuid?.() === 0;

function expectFixes(checks: EnvironmentCheck[]) {
  for (const check of checks) if (check.level !== "info") expect(check.fix, check.code).toBeTruthy();
}

describe("claudeAdapter.testEnvironment", () => {
  it("resolves the binary, reads its version, and accepts a writable cwd", async () => {
    const checks = await testEnvironment({
      command: FAKE_CLAUDE,
      cwd: tmp,
      env: { ANTHROPIC_API_KEY: { type: "secret", value: "sk-test-123456" }, IS_SANDBOX: "1" },
    });
    expect(find(checks, "claude_command_resolved")?.message).toBe(`Command ${JSON.stringify(FAKE_CLAUDE)} resolves to ${FAKE_CLAUDE}`);
    expect(find(checks, "claude_version")).toMatchObject({ level: "info", message: `${FAKE_CLAUDE} --version: 2.1.330 (Claude Code)` });
    expect(find(checks, "claude_auth_api_key")?.level).toBe("info");
    expect(find(checks, "claude_cwd_ok")?.level).toBe("info");
    expect(checks.filter((c) => c.level !== "info")).toEqual([]);
  });

  it('finds the default "claude" on the configured PATH', async () => {
    const bin = fs.mkdtempSync(path.join(tmp, "bin-"));
    fs.symlinkSync(FAKE_CLAUDE, path.join(bin, "claude"));
    const checks = await testEnvironment({ env: { PATH: `${bin}:${process.env.PATH}` } });
    expect(find(checks, "claude_command_resolved")?.message).toContain(path.join(bin, "claude"));
    expect(find(checks, "claude_version")?.message).toContain("2.1.330");
    expect(find(checks, "claude_cwd_default")?.level).toBe("info");
  });

  it("reports a missing or non-executable binary with how to install it", async () => {
    const missing = await testEnvironment({ command: "staple-no-such-claude" });
    expect(find(missing, "claude_command_not_found")).toMatchObject({
      level: "error",
      fix: expect.stringContaining("npm install -g @anthropic-ai/claude-code"),
    });
    const plain = path.join(tmp, "claude-plain");
    fs.writeFileSync(plain, "#!/bin/sh\n", { mode: 0o644 });
    const notExec = await testEnvironment({ command: plain });
    expect(find(notExec, "claude_command_not_executable")).toMatchObject({ level: "error", fix: expect.stringContaining("chmod +x") });
    expectFixes([...missing, ...notExec]);
  });

  it("warns when a binary does not answer --version", async () => {
    const broken = path.join(tmp, "claude-broken");
    fs.writeFileSync(broken, "#!/bin/sh\necho 'claude: corrupted install' >&2\nexit 1\n", { mode: 0o755 });
    const checks = await testEnvironment({ command: broken });
    expect(find(checks, "claude_version_failed")).toMatchObject({
      level: "warn",
      message: `${broken} --version exited with code 1: claude: corrupted install`,
    });
    expectFixes(checks);
  });

  it("describes how runs will authenticate", async () => {
    expect(find(await testEnvironment({ command: FAKE_CLAUDE, env: { CLAUDE_CODE_USE_BEDROCK: "1" } }), "claude_auth_bedrock")?.level).toBe(
      "info",
    );
    expect(
      find(await testEnvironment({ command: FAKE_CLAUDE, env: { CLAUDE_CODE_OAUTH_TOKEN: "oauth-tok-1" } }), "claude_auth_oauth_token")
        ?.level,
    ).toBe("info");
    const login = find(await testEnvironment({ command: FAKE_CLAUDE, env: { HOME: tmp } }), "claude_auth_subscription_login");
    expect(login).toMatchObject({ level: "warn", fix: expect.stringContaining("ANTHROPIC_API_KEY") });
    expect(login?.message).toContain(path.join(tmp, ".claude", ".credentials.json"));
  });

  it.runIf(isRoot)("warns that Claude Code refuses the permission bypass as root", async () => {
    const warn = find(await testEnvironment({ command: FAKE_CLAUDE }), "claude_root_permission_bypass");
    expect(warn).toMatchObject({ level: "warn", fix: expect.stringContaining("IS_SANDBOX") });
    expect(
      find(await testEnvironment({ command: FAKE_CLAUDE, env: { IS_SANDBOX: "1" } }), "claude_root_permission_bypass"),
    ).toBeUndefined();
    expect(
      find(await testEnvironment({ command: FAKE_CLAUDE, permissionMode: "acceptEdits" }), "claude_root_permission_bypass"),
    ).toBeUndefined();
  });

  it("checks cwd and the instructions file", async () => {
    const missingCwd = await testEnvironment({ command: FAKE_CLAUDE, cwd: path.join(tmp, "missing") });
    expect(find(missingCwd, "claude_cwd_missing")?.level).toBe("error");
    fs.writeFileSync(path.join(tmp, "AGENTS.md"), "x");
    expect(
      find(await testEnvironment({ command: FAKE_CLAUDE, cwd: tmp, instructionsFilePath: "AGENTS.md" }), "claude_instructions_ok")?.level,
    ).toBe("info");
    expect(
      find(await testEnvironment({ command: FAKE_CLAUDE, cwd: tmp, instructionsFilePath: "nope.md" }), "claude_instructions_unreadable")
        ?.level,
    ).toBe("error");
    expect(
      find(await testEnvironment({ command: FAKE_CLAUDE, instructionsFilePath: "AGENTS.md" }), "claude_instructions_relative")?.level,
    ).toBe("info");
    expectFixes(missingCwd);
  });

  it("reports invalid config", async () => {
    expect(await testEnvironment({ maxTurns: "many" })).toEqual([
      {
        level: "error",
        code: "claude_config_invalid",
        message: "adapterConfig.maxTurns must be a positive integer",
        fix: "Correct the adapter config field named in the message.",
      },
    ]);
  });
});

describe("claudeAdapter.listModels", () => {
  it("lists known models with a note", async () => {
    const { models, note } = await claudeAdapter.listModels();
    expect(models.map((m) => m.id)).toEqual(expect.arrayContaining(["opus", "sonnet", "haiku", "claude-opus-5-5", "claude-sonnet-5-5"]));
    expect(new Set(models.map((m) => m.id)).size).toBe(models.length);
    expect(note).toContain("Static");
  });
});
