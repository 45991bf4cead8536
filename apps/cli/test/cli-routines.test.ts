import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerProcess, type ServerProcess } from "../../server/test/helpers/server-process.js";
import { ok, okJson, runCli } from "./helpers/cli.js";

// One real server for the file; the CLI is the real binary. The agent's wakes are harmless (/bin/true).
let server: ServerProcess;
let env: Record<string, string>;

beforeAll(async () => {
  server = await startServerProcess({});
  env = { STAPLE_API_URL: server.url, STAPLE_HOME: server.home };
  await ok(["company", "create", "Routine Works"], env);
  await ok(["agent", "create", "Ticker", "--", "/bin/true"], env);
});

afterAll(async () => {
  await server?.stop();
});

describe("staple routine", () => {
  it("create with --cron adds a schedule trigger; list shows it with its next fire", async () => {
    const created = await okJson(
      [
        "routine",
        "create",
        "Weekly",
        "report",
        "--agent",
        "Ticker",
        "--cron",
        "0 9 * * 1",
        "--timezone",
        "Europe/Amsterdam",
        "--concurrency",
        "always_enqueue",
      ],
      env,
    );
    expect(created).toMatchObject({ title: "Weekly report", status: "active", concurrencyPolicy: "always_enqueue" });
    expect(created.triggers).toEqual([
      expect.objectContaining({
        kind: "schedule",
        cronExpression: "0 9 * * 1",
        timezone: "Europe/Amsterdam",
        nextRunAt: expect.any(String),
      }),
    ]);
    const list = await runCli(["routine", "list"], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain("Weekly report");
    expect(list.stdout).toContain('cron "0 9 * * 1" Europe/Amsterdam');
    expect(list.stdout).toMatch(/^ID\s+STATUS\s+AGENT\s+TRIGGERS\s+NEXT\s+TITLE/m);
  }, 120_000);

  it("run (by title) creates the execution issue; pause stops it; a paused routine's run is refused", async () => {
    const fired = await runCli(["routine", "run", "weekly report", "--payload", '{"week":49}'], env);
    expect(fired.code, fired.stderr).toBe(0);
    expect(fired.stdout).toMatch(/^Fired [0-9a-f-]{36}: created [A-Z]+-\d+ \(todo\)/);
    const issues = await okJson(["issue", "list"], env);
    expect(issues.map((i: { title: string }) => i.title)).toContain("Weekly report");

    const paused = await runCli(["routine", "pause", "Weekly report"], env);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toContain('Paused "Weekly report".');
    const [routine] = await okJson(["routine", "list"], env);
    expect(routine.status).toBe("paused");
    expect(routine.triggers[0].nextRunAt).toBeNull();

    const refused = await runCli(["routine", "run", routine.id], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("routine_not_active");
    const resumed = await runCli(["routine", "resume", routine.id], env);
    expect(resumed.stdout).toContain("next fire");
  }, 120_000);

  it("usage errors exit 2 before any request; a bad cron is the server's 400 naming the field", async () => {
    expect((await runCli(["routine", "create", "x"], env)).stderr).toContain("missing --agent <agent>");
    expect((await runCli(["routine", "run"], env)).code).toBe(2);
    const payload = await runCli(["routine", "run", "x", "--payload", "[1]"], env);
    expect(payload.code).toBe(2);
    expect(payload.stderr).toContain("--payload must be a JSON object");
    const cron = await runCli(["routine", "create", "Bad", "--agent", "Ticker", "--cron", "every day"], env);
    expect(cron.code).toBe(1);
    expect(cron.stderr).toContain("cronExpression");
    expect((await runCli(["routine", "run", "No such routine"], env)).stderr).toContain('no routine titled "No such routine"');
  }, 120_000);
});
