import fs from "node:fs";

/**
 * Liveness checks and signals for processes and process groups, by number.
 *
 * A zombie (exited, not yet reaped by its parent or by init) counts as gone: it runs no code and holds no
 * resources worth waiting for. This matters because `kill(pid, 0)` succeeds on zombies, and in containers
 * init may reap orphans late. On Linux the state is read from /proc; elsewhere `kill(…, 0)` is the answer.
 */

const HAS_PROC = process.platform === "linux" && fs.existsSync("/proc/self/stat");

/** The state letter and pgid of a process, from /proc/<pid>/stat; null when unreadable. */
function readProcStat(pid: number): { state: string; pgid: number } | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const state = fields[0];
  const pgid = Number(fields[2]);
  if (state === undefined || !Number.isInteger(pgid)) return null;
  return { state, pgid };
}

/** `kill(target, 0)`: true when it exists (EPERM means it exists but is not ours). */
function probe(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** True while the process exists and is not a zombie. */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (!probe(pid)) return false;
  if (!HAS_PROC) return true;
  const stat = readProcStat(pid);
  return stat !== null && stat.state !== "Z" && stat.state !== "X";
}

/** True while any non-zombie process belongs to the group. */
export function isProcessGroupAlive(pgid: number): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  if (!probe(-pgid)) return false;
  if (!HAS_PROC) return true;
  // Something in the group exists; make sure it is not only zombies. Cost: one small read per process,
  // paid only while a group is being torn down.
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return true;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readProcStat(pid);
    if (stat && stat.pgid === pgid && stat.state !== "Z" && stat.state !== "X") return true;
  }
  return false;
}

/** Sends `signal` to every process in the group. Returns false when the group no longer exists. */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): boolean {
  // pgid 0 or 1 would address our own group or every process we may signal: never do that.
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
