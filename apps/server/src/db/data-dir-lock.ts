import fs from "node:fs";
import path from "node:path";

export class DataDirBusyError extends Error {}

export interface DataDirLock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Written into the pid file so a reader knows the file is ours, whatever process the pid names now. */
const MARKER = "staple-server";

interface PidFile {
  pid: number;
  /** Linux: the owner's start time (field 22 of /proc/<pid>/stat, clock ticks since boot); else null. */
  startTime: string | null;
  /** False for the legacy format (the pid alone), written by older versions. */
  marked: boolean;
}

const HAS_PROC = process.platform === "linux" && fs.existsSync("/proc/self/stat");

/** The start time of a live process (Linux), or null when it cannot be read. */
export function processStartTime(pid: number): string | null {
  if (!HAS_PROC) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so count fields after the last `)`.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[22 - 3] ?? null;
  } catch {
    return null;
  }
}

function parsePidFile(text: string): PidFile | null {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed), startTime: null, marked: false };
  try {
    const parsed = JSON.parse(trimmed) as { app?: unknown; pid?: unknown; startTime?: unknown };
    if (parsed.app !== MARKER || !Number.isInteger(parsed.pid) || (parsed.pid as number) <= 0) return null;
    return { pid: parsed.pid as number, startTime: typeof parsed.startTime === "string" ? parsed.startTime : null, marked: true };
  } catch {
    return null;
  }
}

/** Whether a legacy pid file's live process looks like a Staple server (a Node process). */
function looksLikeNode(pid: number): boolean {
  try {
    const argv0 = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] ?? "";
    return /node/i.test(path.basename(argv0));
  } catch {
    return true; // unreadable: assume it may be ours (refusing is the safe side)
  }
}

/**
 * Whether the pid file names a Staple server that is running now. A live pid alone is not enough:
 * pids are reused, so after a crash the file may name an unrelated process. On Linux the owner's
 * start time is recorded and compared (a reused pid has another start time); a legacy file (pid
 * only) counts only if that process is a Node process. Elsewhere a live pid counts, as before.
 */
function ownerRunning(owner: PidFile): boolean {
  if (owner.pid === process.pid || !alive(owner.pid)) return false;
  if (!HAS_PROC) return true;
  const now = processStartTime(owner.pid);
  if (owner.marked && owner.startTime !== null) return now === null || now === owner.startTime;
  return looksLikeNode(owner.pid);
}

/**
 * The embedded database is a directory only one process may open. A pid file guards it: a live
 * owner makes the second server exit with a clear message; a stale file (crashed owner, or a pid
 * now used by another process) is taken over. Postgres servers need no such lock.
 */
export function acquireDataDirLock(home: string): DataDirLock {
  fs.mkdirSync(home, { recursive: true });
  const file = path.join(home, "server.pid");
  const content = JSON.stringify({ app: MARKER, pid: process.pid, startTime: processStartTime(process.pid) });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, content, { flag: "wx" });
      return {
        release() {
          try {
            if (parsePidFile(fs.readFileSync(file, "utf8"))?.pid === process.pid) fs.unlinkSync(file);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = parsePidFile(fs.readFileSync(file, "utf8"));
      if (owner && ownerRunning(owner)) {
        throw new DataDirBusyError(
          `Another Staple server (pid ${owner.pid}) is using ${home}. Stop it first, or set STAPLE_HOME to another directory.`,
        );
      }
      fs.unlinkSync(file); // stale: its owner is gone, or the pid belongs to another process now
    }
  }
  throw new DataDirBusyError(`Could not lock ${home}; remove ${file} if no Staple server is running.`);
}
