import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { AdapterExecuteContext } from "@staple/adapter-kit";
import { DEFAULT_TIMEOUT_SEC, parseProcessConfig, processAdapter } from "../src/index.js";
import { logText, recordingContext } from "../../../../test-support/adapter-context.js";
import { groupMembers } from "../../../../test-support/procs.js";

const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "adapter-process-")));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function makeCtx(adapterConfig: Record<string, unknown>, overrides: Partial<AdapterExecuteContext> = {}) {
  return recordingContext({ id: "agent-9", companyId: "company-1", name: "Proc", adapterType: "process", adapterConfig }, overrides);
}

function execute(ctx: AdapterExecuteContext, signal: AbortSignal = new AbortController().signal) {
  return processAdapter.execute(ctx, signal);
}

describe("processAdapter.execute", () => {
  it("succeeds on exit 0, streams output, reports meta and spawn", async () => {
    const { ctx, rec } = makeCtx({ command: "sh", args: ["-c", "echo out; echo err >&2"] });
    const result = await execute(ctx);
    expect(processAdapter.type).toBe("process");
    expect(result).toMatchObject({ exitCode: 0, signal: null, timedOut: false, resultJson: { stdoutTail: "out\n", stderrTail: "err\n" } });
    expect(result.errorMessage).toBeUndefined();
    expect(result.errorCode).toBeUndefined();
    expect(logText(rec, "stdout")).toBe("out\n");
    expect(logText(rec, "stderr")).toBe("err\n");
    expect(rec.spawns).toHaveLength(1);
    expect(rec.spawns[0]?.processGroupId).toBe(rec.spawns[0]?.pid);
    expect(rec.meta).toHaveLength(1);
    const meta = rec.meta[0] ?? {};
    expect(meta).toMatchObject({
      adapterType: "process",
      command: "sh",
      commandArgs: ["-c", "echo out; echo err >&2"],
      cwd: process.cwd(),
    });
    const envKeys = meta.envKeys as string[];
    expect(envKeys).toEqual([...envKeys].sort());
    expect(envKeys).toEqual(expect.arrayContaining(["PAPERCLIP_RUN_ID", "PATH"]));
  });

  it("maps a non-zero exit", async () => {
    const { ctx } = makeCtx({ command: "sh", args: ["-c", "exit 7"] });
    expect(await execute(ctx)).toMatchObject({
      exitCode: 7,
      errorCode: "adapter_failed",
      errorMessage: "Process exited with code 7",
      resultJson: { errorDetailCode: "process_exit_nonzero" },
    });
  });

  it("maps death by signal", async () => {
    const { ctx } = makeCtx({ command: "sh", args: ["-c", "kill -KILL $$"] });
    expect(await execute(ctx)).toMatchObject({
      exitCode: null,
      signal: "SIGKILL",
      timedOut: false,
      errorCode: "adapter_failed",
      errorMessage: "Process killed by signal SIGKILL",
      resultJson: { errorDetailCode: "process_signaled" },
    });
  });

  it("times out, killing the process within graceSec", async () => {
    const { ctx, rec } = makeCtx({ command: "sh", args: ["-c", "sleep 30 & sleep 30"], timeoutSec: 1, graceSec: 1 });
    const started = Date.now();
    const result = await execute(ctx);
    expect(Date.now() - started).toBeLessThan((1 + 1 + 3) * 1000);
    expect(result).toMatchObject({ timedOut: true, errorCode: "timeout", errorMessage: "Timed out after 1s" });
    const pgid = rec.spawns[0]?.pid ?? 0;
    expect(pgid).toBeGreaterThan(1);
    expect(groupMembers(pgid)).toEqual([]);
  });

  it("is cancelled by abort", async () => {
    const controller = new AbortController();
    const { ctx } = makeCtx({ command: "sh", args: ["-c", "echo ready; sleep 30"], graceSec: 1 }, { onLog: () => controller.abort() });
    const result = await execute(ctx, controller.signal);
    expect(result).toMatchObject({ timedOut: false, errorCode: "cancelled" });
    expect(result.errorMessage).toBeTruthy();
  });

  it("reports a missing command with a fix", async () => {
    const { ctx } = makeCtx({ command: "staple-missing-command-xyz" });
    const result = await execute(ctx);
    expect(result).toMatchObject({ exitCode: null, errorCode: "adapter_command_not_found" });
    expect(result.errorMessage).toContain("staple-missing-command-xyz");
    expect(result.errorMessage).toContain("Fix:");
  });

  it("reports a non-executable command with a fix", async () => {
    const file = path.join(tmp, "plain.sh");
    fs.writeFileSync(file, "#!/bin/sh\necho hi\n", { mode: 0o644 });
    const result = await execute(makeCtx({ command: file }).ctx);
    expect(result).toMatchObject({ exitCode: null, errorCode: "adapter_command_not_executable" });
    expect(result.errorMessage).toContain(file);
    expect(result.errorMessage).toContain("chmod +x");
  });

  it("passes engine and config env, registers secrets, and keeps them off argv and meta", async () => {
    const secret = "s3cr3t-token-value-987";
    let argv = "";
    const { ctx, rec } = makeCtx(
      {
        command: "sh",
        args: [
          "-c",
          'sleep 0.2; echo "$PAPERCLIP_RUN_ID|$PAPERCLIP_AGENT_ID|$PLAIN|$OTHER|$API_TOKEN|$PAPERCLIP_COMPANY_ID|${HOME:+home}"',
        ],
        env: {
          PLAIN: "plain-value",
          OTHER: { type: "plain", value: "other-value" },
          API_TOKEN: { type: "secret", value: secret },
          PAPERCLIP_COMPANY_ID: "overridden-by-config",
        },
      },
      {
        onSpawn: (info) => {
          argv = fs.readFileSync(`/proc/${info.pid}/cmdline`, "utf8");
        },
      },
    );
    const result = await execute(ctx);
    expect(result.exitCode).toBe(0);
    expect(logText(rec, "stdout")).toBe(`run-123|agent-9|plain-value|other-value|${secret}|overridden-by-config|home\n`);
    expect(argv).toContain("PAPERCLIP_RUN_ID"); // the script text, proving we read the right process
    expect(argv).not.toContain(secret);
    expect(rec.secrets).toEqual([secret]);
    expect(JSON.stringify(rec.meta)).not.toContain(secret);
    expect(JSON.stringify(rec.meta)).not.toContain("plain-value");
    expect(rec.meta[0]?.envKeys).toEqual(expect.arrayContaining(["API_TOKEN", "HOME", "OTHER", "PATH", "PLAIN", "PAPERCLIP_RUN_ID"]));
  });

  it("uses config cwd over ctx.cwd, and ctx.cwd when config has none", async () => {
    const configDir = fs.mkdtempSync(path.join(tmp, "config-"));
    const runDir = fs.mkdtempSync(path.join(tmp, "run-"));
    const withConfig = makeCtx({ command: "pwd", cwd: configDir }, { cwd: runDir });
    await execute(withConfig.ctx);
    expect(logText(withConfig.rec, "stdout")).toBe(`${configDir}\n`);
    expect(withConfig.rec.meta[0]?.cwd).toBe(configDir);

    const withoutConfig = makeCtx({ command: "pwd" }, { cwd: runDir });
    await execute(withoutConfig.ctx);
    expect(logText(withoutConfig.rec, "stdout")).toBe(`${runDir}\n`);
  });

  it("reports a missing cwd instead of a misleading 'command not found'", async () => {
    const { ctx } = makeCtx({ command: "sh", cwd: path.join(tmp, "does-not-exist") });
    expect(await execute(ctx)).toMatchObject({ exitCode: null, errorCode: "adapter_cwd_not_found" });
  });

  it("rejects invalid config with adapter_config_invalid", async () => {
    for (const config of [
      {},
      { command: "" },
      { command: "sh", args: "x" },
      { command: "sh", env: { A: 1 } },
      { command: "sh", timeoutSec: -1 },
    ]) {
      const result = await execute(makeCtx(config).ctx);
      expect(result, JSON.stringify(config)).toMatchObject({ exitCode: null, errorCode: "adapter_config_invalid" });
    }
  });

  it("keeps only the last 4 KB of each stream in resultJson", async () => {
    const { ctx, rec } = makeCtx({
      command: "sh",
      args: ["-c", "head -c 100000 /dev/zero | tr '\\000' x; head -c 9000 /dev/zero | tr '\\000' y >&2"],
    });
    const result = await execute(ctx);
    expect(logText(rec, "stdout")).toHaveLength(100_000);
    const json = result.resultJson as { stdoutTail: string; stderrTail: string };
    expect(json.stdoutTail).toBe("x".repeat(4096));
    expect(json.stderrTail).toBe("y".repeat(4096));
  });
});

describe("parseProcessConfig timeout", () => {
  const timeoutOf = (raw: Record<string, unknown>) => {
    const parsed = parseProcessConfig(raw);
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.config.timeoutSec;
  };

  it("gives a process agent without timeoutSec the one-hour default, and tells the engine", () => {
    expect(DEFAULT_TIMEOUT_SEC).toBe(3600);
    expect(timeoutOf({ command: "sh" })).toBe(3600);
    expect(timeoutOf({ command: "sh", timeoutSec: null })).toBe(3600);
    expect(processAdapter.defaultTimeoutSec).toBe(3600);
  });

  it("keeps an explicit timeout, and an explicit 0 still means none", () => {
    expect(timeoutOf({ command: "sh", timeoutSec: 60 })).toBe(60);
    expect(timeoutOf({ command: "sh", timeoutSec: 0 })).toBe(0);
  });
});

describe("processAdapter.testEnvironment", () => {
  const testEnvironment = processAdapter.testEnvironment!;

  it("resolves a command on PATH to an absolute path and accepts a writable cwd", async () => {
    const checks = await testEnvironment({ command: "sh", cwd: tmp });
    const command = checks.find((c) => c.code === "process_command_resolved");
    expect(command?.level).toBe("info");
    expect(command?.message).toMatch(/resolves to \/\S*\/sh$/);
    expect(checks.find((c) => c.code === "process_cwd_ok")?.level).toBe("info");
    expect(checks.some((c) => c.level !== "info")).toBe(false);
  });

  it("accepts an absolute executable path", async () => {
    const file = path.join(tmp, "exec.sh");
    fs.writeFileSync(file, "#!/bin/sh\n", { mode: 0o755 });
    const checks = await testEnvironment({ command: file });
    expect(checks.find((c) => c.code === "process_command_resolved")?.message).toContain(file);
  });

  it("reports missing and non-executable commands with a fix", async () => {
    const missing = await testEnvironment({ command: "staple-missing-command-xyz" });
    expect(missing[0]).toMatchObject({ level: "error", code: "process_command_not_found" });
    expect(missing[0]?.fix).toBeTruthy();

    const file = path.join(tmp, "noexec.sh");
    fs.writeFileSync(file, "#!/bin/sh\n", { mode: 0o644 });
    const notExec = await testEnvironment({ command: file });
    expect(notExec[0]).toMatchObject({ level: "error", code: "process_command_not_executable" });
    expect(notExec[0]?.fix).toContain("chmod +x");
  });

  it("reports a missing cwd and a cwd that is a file", async () => {
    const missing = await testEnvironment({ command: "sh", cwd: path.join(tmp, "nope") });
    expect(missing.find((c) => c.code === "process_cwd_missing")).toMatchObject({ level: "error" });
    expect(missing.find((c) => c.code === "process_cwd_missing")?.fix).toBeTruthy();

    const file = path.join(tmp, "a-file");
    fs.writeFileSync(file, "");
    const notDir = await testEnvironment({ command: "sh", cwd: file });
    expect(notDir.find((c) => c.code === "process_cwd_not_directory")).toMatchObject({ level: "error" });
  });

  it("reports invalid config", async () => {
    const checks = await testEnvironment({});
    expect(checks).toEqual([expect.objectContaining({ level: "error", code: "process_config_invalid" })]);
    expect(checks[0]?.fix).toBeTruthy();
  });
});
