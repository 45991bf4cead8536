import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runChildProcess, type RunChildProcessOptions, type SpawnInfo } from "../src/index.js";
import { groupMembers, ignoresSigterm, isAlive, waitFor } from "../../../test-support/procs.js";

const BASE_ENV: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "adapter-kit-child-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs a command, recording every callback in order. */
function run(command: string, args: string[], overrides: Partial<RunChildProcessOptions> = {}) {
  const events: string[] = [];
  const stdout: string[] = [];
  const stderr: string[] = [];
  let spawn: SpawnInfo | null = null;
  const promise = runChildProcess({
    command,
    args,
    env: BASE_ENV,
    timeoutSec: 0,
    graceSec: 2,
    signal: new AbortController().signal,
    onStdout: (chunk) => {
      events.push("stdout");
      stdout.push(chunk);
    },
    onStderr: (chunk) => {
      events.push("stderr");
      stderr.push(chunk);
    },
    onSpawn: (info) => {
      events.push("spawn");
      spawn = info;
    },
    ...overrides,
  });
  return { promise, events, stdout, stderr, spawnInfo: () => spawn };
}

describe("runChildProcess", () => {
  it("streams output in order and reports success", async () => {
    const r = run("sh", ["-c", "for i in $(seq 1 300); do echo line$i; done; echo done >&2"], {
      // A slow async consumer must still see chunks in order.
      onStdout: async (chunk) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        r.stdout.push(chunk);
        r.events.push("stdout");
      },
    });
    const result = await r.promise;
    const expected = Array.from({ length: 300 }, (_, i) => `line${i + 1}\n`).join("");
    expect(r.stdout.join("")).toBe(expected);
    expect(r.stderr.join("")).toBe("done\n");
    expect(r.events[0]).toBe("spawn");
    expect(result).toMatchObject({
      exitCode: 0,
      signal: null,
      timedOut: false,
      aborted: false,
      stdoutTail: expected,
      stderrTail: "done\n",
    });
    expect(result.spawnError).toBeUndefined();
    const info = r.spawnInfo();
    expect(info?.pid).toBeGreaterThan(1);
    expect(info?.processGroupId).toBe(info?.pid);
    expect(Number.isNaN(Date.parse(info?.startedAt ?? ""))).toBe(false);
  });

  it("reports a non-zero exit code", async () => {
    const result = await run("sh", ["-c", "echo bye; exit 3"]).promise;
    expect(result).toMatchObject({ exitCode: 3, signal: null, timedOut: false, aborted: false, stdoutTail: "bye\n" });
  });

  it("on timeout, kills the whole group within graceSec", async () => {
    const graceSec = 2;
    let pgid = 0;
    let members: number[] = [];
    const r = run("sh", ["-c", "sleep 30 & echo started; sleep 30"], {
      timeoutSec: 1,
      graceSec,
      onSpawn: (info) => {
        pgid = info.pid;
      },
    });
    // Snapshot the group once the leader, the background sleep and the foreground sleep all exist.
    expect(await waitFor(() => pgid > 0 && (members = groupMembers(pgid)).length >= 3, 5_000)).toBe(true);
    const started = Date.now();
    const result = await r.promise;
    expect(Date.now() - started).toBeLessThan((1 + graceSec + 3) * 1000);
    expect(result).toMatchObject({ exitCode: null, signal: "SIGTERM", timedOut: true, aborted: false });
    for (const pid of members) expect(isAlive(pid), `pid ${pid}`).toBe(false);
  });

  it("on abort, kills the whole group, SIGKILLing a child that ignores SIGTERM after graceSec", async () => {
    const graceSec = 1;
    const controller = new AbortController();
    let pgid = 0;
    let ignorer = 0;
    const r = run("sh", ["-c", `sh -c 'trap "" TERM; echo ignorer $$; exec sleep 30' & sleep 30`], {
      graceSec,
      signal: controller.signal,
      onSpawn: (info) => {
        pgid = info.pid;
      },
      onStdout: (chunk) => {
        const match = /ignorer (\d+)/.exec(chunk);
        if (match) ignorer = Number(match[1]);
      },
    });
    let members: number[] = [];
    expect(await waitFor(() => ignorer > 0 && (members = groupMembers(pgid)).length >= 3, 5_000)).toBe(true);
    expect(members).toContain(ignorer);
    expect(ignoresSigterm(ignorer)).toBe(true);

    const abortedAt = Date.now();
    controller.abort();
    const result = await r.promise;
    expect(Date.now() - abortedAt).toBeLessThan((graceSec + 3) * 1000);
    expect(result).toMatchObject({ exitCode: null, signal: "SIGTERM", timedOut: false, aborted: true });
    for (const pid of members) expect(isAlive(pid), `pid ${pid}`).toBe(false);
  });

  it("kills a leader that ignores SIGTERM with SIGKILL after graceSec", async () => {
    const controller = new AbortController();
    let ready = false;
    const r = run("sh", ["-c", `trap "" TERM; echo ready; sleep 30`], {
      graceSec: 1,
      signal: controller.signal,
      onStdout: () => {
        ready = true;
      },
    });
    expect(await waitFor(() => ready, 5_000)).toBe(true);
    controller.abort();
    const result = await r.promise;
    expect(result).toMatchObject({ exitCode: null, signal: "SIGKILL", aborted: true });
    expect(isAlive(r.spawnInfo()?.pid ?? 0)).toBe(false);
  });

  it("kills background children left behind when the leader exits on its own", async () => {
    const r = run("sh", ["-c", "sleep 30 & echo $!"], { graceSec: 2 });
    const result = await r.promise;
    const leftover = Number(r.stdout.join("").trim());
    expect(leftover).toBeGreaterThan(1);
    expect(result).toMatchObject({ exitCode: 0, signal: null, timedOut: false, aborted: false });
    expect(isAlive(leftover)).toBe(false);
  });

  it("SIGKILLs a leftover child that ignores SIGTERM after graceSec", async () => {
    const graceSec = 1;
    const started = Date.now();
    const r = run("sh", ["-c", `sh -c 'trap "" TERM; exec sleep 30' & echo $!`], { graceSec });
    const result = await r.promise;
    expect(Date.now() - started).toBeLessThan((graceSec + 3) * 1000);
    const leftover = Number(r.stdout.join("").trim());
    expect(result.exitCode).toBe(0);
    expect(isAlive(leftover)).toBe(false);
  });

  it("resolves with ENOENT for a missing binary, without calling back", async () => {
    for (const command of [path.join(tmp, "no-such-binary"), "staple-no-such-command-xyz"]) {
      const r = run(command, []);
      const result = await r.promise;
      expect(result.spawnError?.code).toBe("ENOENT");
      expect(result).toMatchObject({ exitCode: null, signal: null, timedOut: false, aborted: false });
      expect(r.events).toEqual([]);
    }
  });

  it("resolves with EACCES for a file that is not executable", async () => {
    const file = path.join(tmp, "not-executable.sh");
    fs.writeFileSync(file, "#!/bin/sh\necho hi\n", { mode: 0o644 });
    const result = await run(file, []).promise;
    expect(result.spawnError?.code).toBe("EACCES");
    expect(result.exitCode).toBeNull();
  });

  it("delivers stdin and closes it", async () => {
    const input = "hello\nwörld ✓\n";
    const r = run("cat", [], { stdin: input });
    const result = await r.promise;
    expect(r.stdout.join("")).toBe(input);
    expect(result.exitCode).toBe(0);
  });

  it("ignores EPIPE when the child does not read stdin", async () => {
    const result = await run("true", [], { stdin: "x".repeat(4 * 1024 * 1024) }).promise;
    expect(result.exitCode).toBe(0);
  });

  it("streams 10 MB of output while the tails stay within the cap", async () => {
    const total = 10 * 1024 * 1024;
    let received = 0;
    const command = `head -c ${total} /dev/zero | tr '\\000' a`;
    const result = await run("sh", ["-c", command], { onStdout: (c) => void (received += c.length) }).promise;
    expect(received).toBe(total);
    expect(result.exitCode).toBe(0);
    expect(result.stdoutTail.length).toBe(4 * 1024 * 1024);

    let small = 0;
    const capped = await run("sh", ["-c", command], { maxCaptureBytes: 1000, onStdout: (c) => void (small += c.length) }).promise;
    expect(small).toBe(total);
    expect(capped.stdoutTail).toBe("a".repeat(1000));
  });

  it("gives the child exactly the env passed (nothing inherited), never on argv", async () => {
    process.env.STAPLE_TEST_SHOULD_NOT_LEAK = "leaked";
    try {
      const secret = "very-secret-value-123";
      let argv = "";
      const r = run("sh", ["-c", `sleep 0.2; echo "$PAPERCLIP_RUN_ID|$MY_SECRET|\${STAPLE_TEST_SHOULD_NOT_LEAK:-unset}"`], {
        env: { ...BASE_ENV, PAPERCLIP_RUN_ID: "run-42", MY_SECRET: secret },
        onSpawn: (info) => {
          argv = fs.readFileSync(`/proc/${info.pid}/cmdline`, "utf8");
        },
      });
      await r.promise;
      expect(r.stdout.join("")).toBe(`run-42|${secret}|unset\n`);
      expect(argv).not.toBe("");
      expect(argv).not.toContain(secret);
    } finally {
      delete process.env.STAPLE_TEST_SHOULD_NOT_LEAK;
    }
  });

  it("does not spawn when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const r = run("sh", ["-c", "echo nope"], { signal: controller.signal });
    const result = await r.promise;
    expect(result).toMatchObject({ exitCode: null, aborted: true });
    expect(r.events).toEqual([]);
  });

  it("keeps going when a callback throws", async () => {
    const r = run("sh", ["-c", "echo one; sleep 0.1; echo two"], {
      onSpawn: () => {
        throw new Error("spawn callback failed");
      },
      onStdout: async (chunk) => {
        r.stdout.push(chunk);
        throw new Error("log sink failed");
      },
    });
    const result = await r.promise;
    expect(result.exitCode).toBe(0);
    expect(r.stdout.join("")).toBe("one\ntwo\n");
  });
});

describe("runChildProcess through the spawn host", () => {
  it("runs a child in the host process with the same guarantees (output, exit, group kill on abort)", async () => {
    const { createSpawnHost } = await import("../src/spawn-host.js");
    const host = createSpawnHost();
    try {
      const out: string[] = [];
      const ok = await runChildProcess({
        command: "/bin/sh",
        args: ["-c", "echo one; echo two >&2; exit 3"],
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
        timeoutSec: 10,
        graceSec: 1,
        signal: new AbortController().signal,
        onStdout: (c) => void out.push(c),
        onStderr: () => undefined,
        onSpawn: () => undefined,
        spawn: host.spawn,
      });
      expect(ok.exitCode).toBe(3);
      expect(out.join("")).toBe("one\n");
      expect(ok.stderrTail).toBe("two\n");

      const controller = new AbortController();
      let pid = 0;
      const pending = runChildProcess({
        command: "/bin/sh",
        args: ["-c", "sleep 30 & sleep 30"],
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
        timeoutSec: 0,
        graceSec: 1,
        signal: controller.signal,
        onStdout: () => undefined,
        onStderr: () => undefined,
        onSpawn: (info) => void (pid = info.pid),
        spawn: host.spawn,
      });
      for (let i = 0; i < 200 && pid === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(pid).toBeGreaterThan(0);
      controller.abort();
      const aborted = await pending;
      expect(aborted.aborted).toBe(true);
      const { isProcessGroupAlive } = await import("../src/process-group.js");
      expect(isProcessGroupAlive(pid)).toBe(false);

      const missing = await runChildProcess({
        command: "/nonexistent/binary",
        args: [],
        env: {},
        timeoutSec: 0,
        graceSec: 1,
        signal: new AbortController().signal,
        onStdout: () => undefined,
        onStderr: () => undefined,
        onSpawn: () => undefined,
        spawn: host.spawn,
      });
      expect(missing.spawnError?.code).toBe("ENOENT");
    } finally {
      host.close();
    }
  });
});
