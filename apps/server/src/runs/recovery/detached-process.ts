import fs from "node:fs";
import os from "node:os";
import { isProcessGroupAlive, signalProcessGroup } from "@staple/adapter-kit";
import { TERMINAL_RUN_STATUSES } from "@staple/contracts";
import type { Database } from "../../db/database.js";
import { sqlList } from "../../db/sql-list.js";
import type { Logger } from "../../logger.js";
import { appendRunEvent } from "../run-events.js";

/** SIGTERM first; SIGKILL when the group is still alive this long after. */
export const DETACHED_STOP_GRACE_MS = 2_000;
/** Finished runs whose leftover processes are looked for at startup: this recent, at most this many. */
const LEFTOVER_WINDOW_HOURS = 24;
const LEFTOVER_LIMIT = 200;

const HAS_PROC = process.platform === "linux" && fs.existsSync("/proc/self/environ");

/** Members of each process group on this machine (one /proc scan). Empty where /proc is missing. */
export function scanProcessGroups(): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  if (!HAS_PROC) return groups;
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return groups;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const pgid = Number(fields[2]);
    if (fields[0] === "Z" || fields[0] === "X" || !Number.isInteger(pgid)) continue;
    const list = groups.get(pgid);
    if (list) list.push(pid);
    else groups.set(pgid, [pid]);
  }
  return groups;
}

/** True when the process's environment carries PAPERCLIP_RUN_ID=<runId> (every agent process gets it). */
export function processCarriesRun(pid: number, runId: string): boolean {
  let env: Buffer;
  try {
    env = fs.readFileSync(`/proc/${pid}/environ`);
  } catch {
    return false;
  }
  const marker = `PAPERCLIP_RUN_ID=${runId}`;
  return env
    .toString("utf8")
    .split("\0")
    .some((entry) => entry === marker);
}

/**
 * The group `pgid` still belongs to run `runId`: one of its members carries the run's id in its
 * environment. A process group id cannot be reused while any member lives, so a member with the
 * marker proves the whole group is the run's; a recycled id (a stranger's group) has no such member.
 * Without /proc (not Linux) nothing can be proved and nothing is killed.
 */
export function groupBelongsToRun(pgid: number, runId: string, groups = scanProcessGroups()): boolean {
  return (groups.get(pgid) ?? []).some((pid) => processCarriesRun(pid, runId));
}

/** The run is leased to a runner (`runner:<id>`): its processes are the runner's to stop, on its machine. */
export const isRunnerLease = (leaseOwner: string | null | undefined) => typeof leaseOwner === "string" && leaseOwner.startsWith("runner:");

/**
 * The run belongs to someone else who stops its processes: another live server on this machine (lease
 * owner `host:pid:random` with a live pid), a server on another machine, or a runner.
 */
function ownedByOtherLiveServer(leaseOwner: string | null, instanceId: string): boolean {
  if (isRunnerLease(leaseOwner)) return true;
  if (!leaseOwner || leaseOwner === instanceId) return false;
  const [host, pid] = leaseOwner.split(":");
  if (host !== os.hostname()) return true; // its processes are not on this machine
  try {
    process.kill(Number(pid), 0);
    return Number(pid) !== process.pid;
  } catch {
    return false;
  }
}

/**
 * Stops process group `pgid`, already verified to be run `runId`'s (groupBelongsToRun): SIGTERM,
 * then SIGKILL when it still lives after `graceMs` and still belongs to the run (checked again, so
 * a group id recycled meanwhile is left alone). Resolves with the last signal sent. Also used by
 * `staple runner` for the agents a killed runner left behind (apps/cli/src/runner/orphans.ts).
 */
export async function stopRunGroup(pgid: number, runId: string, graceMs: number): Promise<"SIGTERM" | "SIGKILL"> {
  signalProcessGroup(pgid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isProcessGroupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isProcessGroupAlive(pgid) && groupBelongsToRun(pgid, runId)) {
    signalProcessGroup(pgid, "SIGKILL");
    return "SIGKILL";
  }
  return "SIGTERM";
}

export interface StopOutcome {
  runId: string;
  pgid: number;
  signal: "SIGTERM" | "SIGKILL";
}

/**
 * Stops the process group of a finished run (cancelled, paused, issue cancelled) that no live handle on
 * this server controls: the process outlived the server that started it. The group is verified to be
 * the run's before every signal (groupBelongsToRun), SIGTERM first, SIGKILL after `graceMs`, and the
 * stop is recorded as a run event. Resolves when the group is gone or was left alone.
 */
export async function stopDetachedRunProcess(
  db: Database,
  runId: string,
  opts: { instanceId: string; graceMs?: number; logger?: Logger },
): Promise<StopOutcome | undefined> {
  const [run] = await db.query<{ status: string; processPid: number | null; processGroupId: number | null; leaseOwner: string | null }>(
    "SELECT status, process_pid, process_group_id, lease_owner FROM heartbeat_runs WHERE id = $1",
    [runId],
  );
  if (!run || !(TERMINAL_RUN_STATUSES as readonly string[]).includes(run.status)) return undefined;
  const pgid = run.processGroupId ?? run.processPid;
  if (!pgid || pgid <= 1 || ownedByOtherLiveServer(run.leaseOwner, opts.instanceId)) return undefined;
  if (!groupBelongsToRun(pgid, runId)) return undefined;
  const signal = await stopRunGroup(pgid, runId, opts.graceMs ?? DETACHED_STOP_GRACE_MS);
  opts.logger?.warn("stopped the detached process group of a finished run", { runId, pgid, signal });
  await appendRunEvent(db, runId, {
    eventType: "lifecycle",
    level: "warn",
    message: `Stopped detached process group ${pgid} (${signal}): it outlived the server that started it`,
    payload: { pgid, signal },
  }).catch(() => {});
  return { runId, pgid, signal };
}

/**
 * Startup sweep: finished runs of the last day whose process group still lives on this machine and
 * carries the run's id — e.g. a run cancelled while the server that started it was down, so no server
 * here heard the cancel. Each is stopped as above. One /proc scan; bounded to LEFTOVER_LIMIT runs.
 */
export async function stopLeftoverRunProcesses(db: Database, opts: { instanceId: string; graceMs?: number; logger?: Logger }) {
  if (!HAS_PROC) return [];
  const runs = await db.query<{ id: string; pgid: number }>(
    `SELECT id, coalesce(process_group_id, process_pid) AS pgid FROM heartbeat_runs
      WHERE status IN ${sqlList(TERMINAL_RUN_STATUSES)} AND coalesce(process_group_id, process_pid) > 1
        AND finished_at > now() - interval '${LEFTOVER_WINDOW_HOURS} hours'
      ORDER BY finished_at DESC LIMIT ${LEFTOVER_LIMIT}`,
  );
  const groups = scanProcessGroups();
  const candidates = runs.filter((r) => groupBelongsToRun(r.pgid, r.id, groups));
  const stopped = await Promise.all(candidates.map((r) => stopDetachedRunProcess(db, r.id, opts)));
  return stopped.filter((s): s is StopOutcome => s !== undefined);
}
