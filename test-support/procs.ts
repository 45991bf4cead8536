import fs from "node:fs";

/**
 * Test-side process inspection, shared by the tests of every package (imported by relative path;
 * no package builds or ships it). Written independently of adapter-kit's src/process-group.ts so
 * the runner is not checked with its own helper. Linux only (reads /proc).
 *
 * Zombies (state Z, or X while being reaped) count as gone everywhere here: `kill(pid, 0)` and
 * `kill(-pgid, 0)` still succeed for exited children until init reaps them.
 */

/** Fields of /proc/<pid>/stat after the command name: [0] state, [2] process group, [19] start time. Null once the process is gone. */
export function statFields(pid: number): string[] | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: everything after its last ")" is fields 3…
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** Alive = `kill(pid, 0)` succeeds and the process is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  const state = statFields(pid)?.[0];
  return state !== undefined && state !== "Z" && state !== "X";
}

/** Pids of every process listed in /proc (numeric entries only). */
function allPids(): number[] {
  return fs
    .readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

/** Non-zombie pids whose process group is `pgid`. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const pid of allPids()) {
    const fields = statFields(pid);
    if (fields && Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") out.push(pid);
  }
  return out;
}

/** True when no live (non-zombie) process is left in the group. */
export function processGroupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  // Something answers: tolerate zombies (exited, not yet reaped).
  return groupMembers(pgid).length === 0;
}

/** True when signal 15 (SIGTERM) is in the process's ignored-signals mask. */
export function ignoresSigterm(pid: number): boolean {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const mask = /^SigIgn:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return mask !== undefined && (BigInt(`0x${mask}`) & (1n << 14n)) !== 0n;
}

/** The process's argv joined with spaces. Throws once the process is gone. */
export function cmdline(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
}

/** Command lines of every process we can read, NULs turned into spaces. */
export function allCommandLines(): { pid: string; cmdline: string }[] {
  const out: { pid: string; cmdline: string }[] = [];
  for (const pid of allPids()) {
    try {
      out.push({ pid: String(pid), cmdline: cmdline(pid) });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Polls `check` every 20 ms until it holds or `timeoutMs` passes. */
export async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}
