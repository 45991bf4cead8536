import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isProcessGroupAlive, signalProcessGroup } from "@staple/adapter-kit";
import { forgetRun, readSpawnRecords, recordSpawn, stopOrphans } from "../src/runner/orphans.js";

/**
 * A runner restarted on its home stops the agent process groups its previous life left running
 * (apps/cli/src/runner/orphans.ts), and only groups that still carry their run's id.
 */

const started: number[] = [];
const homes: string[] = [];

afterEach(() => {
  for (const pgid of started.splice(0)) signalProcessGroup(pgid, "SIGKILL");
  for (const home of homes.splice(0)) fs.rmSync(home, { recursive: true, force: true });
});

function home() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-orphans-"));
  homes.push(dir);
  return dir;
}

/** A detached `sh` that sleeps in its own process group, with PAPERCLIP_RUN_ID set when `runId` is given. */
function detachedGroup(runId?: string, trapTerm = false): number {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
  if (runId) env.PAPERCLIP_RUN_ID = runId;
  const script = trapTerm ? "trap '' TERM; sleep 30 & wait" : "sleep 30 & wait";
  const child = spawn("/bin/sh", ["-c", script], { detached: true, stdio: "ignore", env });
  child.unref();
  started.push(child.pid!);
  return child.pid!;
}

const gone = async (pgid: number) => {
  for (let i = 0; i < 50 && isProcessGroupAlive(pgid); i++) await new Promise((r) => setTimeout(r, 50));
  return !isProcessGroupAlive(pgid);
};

describe.skipIf(process.platform !== "linux")("runner orphans", () => {
  it("records a spawn and forgets it when the run ends here", () => {
    const dir = home();
    recordSpawn(dir, { runId: "run-a", pgid: 4242 });
    recordSpawn(dir, { runId: "run-b", pgid: 1 }); // never a record for init or a missing group
    expect(readSpawnRecords(dir)).toEqual([{ runId: "run-a", pgid: 4242 }]);
    forgetRun(dir, "run-a");
    expect(readSpawnRecords(dir)).toEqual([]);
  });

  it("stops a recorded group that carries its run's id (SIGTERM), and clears the record", async () => {
    const dir = home();
    const pgid = detachedGroup("run-orphan");
    await new Promise((r) => setTimeout(r, 200)); // the shell has exec'd with its environment
    recordSpawn(dir, { runId: "run-orphan", pgid });
    const notes: string[] = [];
    const stops = await stopOrphans(dir, { note: (m) => notes.push(m) });
    expect(stops).toEqual([{ runId: "run-orphan", pgid, signal: "SIGTERM" }]);
    expect(await gone(pgid)).toBe(true);
    expect(notes.join("\n")).toContain(`Stopped process group ${pgid} of run run-orphan (SIGTERM)`);
    expect(readSpawnRecords(dir)).toEqual([]);
  });

  it("a group that ignores SIGTERM gets SIGKILL after the grace", async () => {
    const dir = home();
    const pgid = detachedGroup("run-stubborn", true);
    await new Promise((r) => setTimeout(r, 200));
    recordSpawn(dir, { runId: "run-stubborn", pgid });
    const stops = await stopOrphans(dir, { graceMs: 300 });
    expect(stops).toEqual([{ runId: "run-stubborn", pgid, signal: "SIGKILL" }]);
    expect(await gone(pgid)).toBe(true);
  });

  it("leaves alone a group that does not carry the run's id (a recycled id), and drops its record", async () => {
    const dir = home();
    const stranger = detachedGroup(undefined);
    const otherRun = detachedGroup("another-run");
    await new Promise((r) => setTimeout(r, 200));
    recordSpawn(dir, { runId: "run-x", pgid: stranger });
    recordSpawn(dir, { runId: "run-y", pgid: otherRun });
    fs.writeFileSync(path.join(dir, "live-runs", "garbage.json"), "{not json");
    expect(await stopOrphans(dir, { graceMs: 300 })).toEqual([]);
    expect(isProcessGroupAlive(stranger)).toBe(true);
    expect(isProcessGroupAlive(otherRun)).toBe(true);
    expect(fs.readdirSync(path.join(dir, "live-runs"))).toEqual([]);
  });
});
