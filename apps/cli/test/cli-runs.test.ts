import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerProcess, type ServerProcess } from "../../server/test/helpers/server-process.js";
import { ok, okJson, runCli, waitFor } from "./helpers/cli.js";

// One real server for the file; agents are `process` adapters running /bin/sh, so runs are real.
let server: ServerProcess;
let env: Record<string, string>;

beforeAll(async () => {
  server = await startServerProcess({});
  env = { STAPLE_API_URL: server.url, STAPLE_HOME: server.home };
  await ok(["company", "create", "Run Works"], env);
  await ok(["agent", "create", "Echo", "--", "/bin/sh", "-c", "echo hello-from-cli-test; sleep 1; echo done-from-cli-test >&2"], env);
  await ok(["agent", "create", "Slow", "--", "/bin/sh", "-c", "echo first-line; sleep 2; echo second-line"], env);
  await ok(["agent", "create", "Sleeper", "--", "/bin/sh", "-c", "echo started-sleeping; exec sleep 60"], env);
});

afterAll(async () => {
  await server?.stop();
});

async function wake(agent: string): Promise<string> {
  const run = await okJson(["agent", "wake", agent], env);
  expect(run).toMatchObject({ status: "queued" });
  return run.id as string;
}

async function runStatus(id: string): Promise<string> {
  return (await okJson(["run", "show", id], env)).status as string;
}

describe("runs", () => {
  let echoRun: string;

  it("run log --follow prints a live run's output and stops when it ends", async () => {
    echoRun = await wake("Echo");
    const r = await runCli(["run", "log", echoRun, "--follow", "--timeout", "30"], env, 40_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("hello-from-cli-test\n");
    expect(r.stderr).toContain("done-from-cli-test"); // stderr chunks go to stderr
    expect(r.stderr).toContain(`run ${echoRun} succeeded (exit 0)`);
    expect(await runStatus(echoRun)).toBe("succeeded"); // it stopped because the run was terminal
  });

  it("follows output as it is written (first line before the run ends, in order, each once)", async () => {
    const id = await wake("Slow");
    const r = await runCli(["run", "log", id, "--follow", "--json", "--timeout", "30"], env, 40_000);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { ts: string; stream: string; chunk: string });
    const chunks = lines.map((l) => l.chunk).join("");
    expect(chunks).toBe("first-line\nsecond-line\n");
    // The two lines were written ~2 s apart and the follower ran until the end: a real follow.
    expect(Date.parse(lines[lines.length - 1]!.ts) - Date.parse(lines[0]!.ts)).toBeGreaterThanOrEqual(1_500);
    expect(r.ms).toBeGreaterThanOrEqual(1_500);
  });

  it("agent wake --follow wakes and follows in one command", async () => {
    const r = await runCli(["agent", "wake", "Echo", "--follow", "--timeout", "30"], env, 40_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("hello-from-cli-test\n");
    expect(r.stderr).toMatch(/run [0-9a-f-]{36} succeeded \(exit 0\)/);
  });

  it("run log (no follow) prints the stored output; --json prints the server's log JSON", async () => {
    expect(await ok(["run", "log", echoRun], env)).toBe("hello-from-cli-test\n");
    const log = await okJson(["run", "log", echoRun], env);
    expect(log).toMatchObject({ runId: echoRun, store: "database" });
    expect(log.content).toContain('"chunk":"hello-from-cli-test\\n"');
  });

  it("run show (fields and events) and run list (table, --json, filters)", async () => {
    const shown = await ok(["run", "show", echoRun], env);
    expect(shown).toMatch(new RegExp(`^Run:\\s+${echoRun}$`, "m"));
    expect(shown).toMatch(/^Agent:\s+Echo \(/m);
    expect(shown).toMatch(/^Status:\s+succeeded$/m);
    expect(shown).toMatch(/^Exit:\s+0$/m);
    expect(shown).toMatch(/lifecycle\s+info\s+run started/);
    expect(shown).toMatch(/lifecycle\s+info\s+run succeeded/);
    const table = await ok(["run", "list"], env);
    expect(table).toMatch(/^ID\s+AGENT\s+STATUS\s+SOURCE\s+CREATED\s+DURATION\s+EXIT\s+ERROR$/m);
    expect(table).toMatch(new RegExp(`^${echoRun}\\s+Echo\\s+succeeded\\s+on_demand\\s`, "m"));
    const all = await okJson<any[]>(["run", "list"], env);
    expect(all.length).toBeGreaterThanOrEqual(3);
    const echoOnly = await okJson<any[]>(["run", "list", "--agent", "Echo"], env);
    expect(echoOnly.length).toBe(2);
    expect(echoOnly.map((r) => r.id)).toContain(echoRun);
    expect(await okJson<any[]>(["run", "list", "--status", "failed"], env)).toEqual([]);
  });

  it("run log --follow is bounded by --timeout; run cancel stops a running run", async () => {
    const id = await wake("Sleeper");
    await waitFor("the run to start", async () => ((await runStatus(id)) === "running" ? true : undefined));
    const bounded = await runCli(["run", "log", id, "--follow", "--timeout", "1"], env, 20_000);
    expect(bounded.code).toBe(1);
    expect(bounded.stdout).toContain("started-sleeping");
    expect(bounded.stderr).toContain(`run ${id} is still running after 1 s; stopped following`);
    expect(bounded.ms).toBeLessThan(10_000);

    // A follower started before the cancel ends when the run does.
    const following = runCli(["run", "log", id, "--follow", "--timeout", "30"], env, 40_000);
    const cancelled = await ok(["run", "cancel", id], env);
    expect(cancelled).toMatch(new RegExp(`^Run ${id}: (cancelled|running)\\.$`, "m"));
    await waitFor("the run to be cancelled", async () => ((await runStatus(id)) === "cancelled" ? true : undefined));
    const followed = await following;
    expect(followed.code).toBe(0);
    expect(followed.stdout).toContain("started-sleeping");
    expect(followed.stderr).toContain(`run ${id} cancelled`);
    // Cancelling a finished run returns it unchanged.
    expect((await okJson(["run", "cancel", id], env)).status).toBe("cancelled");
  });

  it("D14: run output is printed without terminal control sequences (newlines and tabs kept); --json keeps them escaped", async () => {
    // OSC 0 (window title), SGR colours, CR overwrite, and a tab: what a hostile or merely colourful agent prints.
    await ok(
      [
        "agent",
        "create",
        "Painter",
        "--",
        "/bin/sh",
        "-c",
        "printf '\\033]0;pwned\\007\\033[31mred\\033[0m\\tcol\\r\\nnext\\033[2J line\\n'",
      ],
      env,
    );
    const followed = await runCli(["agent", "wake", "Painter", "--follow", "--timeout", "30"], env, 40_000);
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toBe("red\tcol\nnext line\n");
    const runId = /run ([0-9a-f-]{36}) succeeded/.exec(followed.stderr)![1]!;
    expect(await ok(["run", "log", runId], env)).toBe("red\tcol\nnext line\n");
    const raw = await runCli(["run", "log", runId, "--json"], env);
    expect(raw.stdout).not.toContain("\u001b");
    expect(JSON.parse(raw.stdout).content).toContain("\\u001b]0;pwned");
  });

  it("an unknown run is the server's 404; a missing run id is a usage error", async () => {
    const r = await runCli(["run", "log", "00000000-0000-4000-8000-000000000000", "--follow"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Heartbeat run not found (HTTP 404)");
    const shown = await runCli(["run", "show", "00000000-0000-4000-8000-000000000000"], env);
    expect(shown.code).toBe(1);
    expect(shown.stderr).toContain("Heartbeat run not found (HTTP 404)");
    expect((await runCli(["run", "cancel"], env)).code).toBe(2);
    expect((await runCli(["run", "log", "x", "--timeout", "soon"], env)).code).toBe(2);
  });
});
