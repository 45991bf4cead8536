import fs from "node:fs";

/**
 * Test-side process inspection, written independently of src/process-group.ts so the runner is not
 * checked with its own helper. Linux only (reads /proc).
 */

/** Alive = `kill(pid, 0)` succeeds and the process is not a zombie (exited, awaiting reaping by init). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  const state = statFields(pid)?.[0];
  return state !== undefined && state !== "Z" && state !== "X";
}

/** Non-zombie pids whose process group is `pgid`. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const fields = statFields(pid);
    if (fields && Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") out.push(pid);
  }
  return out;
}

/** True when signal 15 (SIGTERM) is in the process's ignored-signals mask. */
export function ignoresSigterm(pid: number): boolean {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const mask = /^SigIgn:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return mask !== undefined && (BigInt(`0x${mask}`) & (1n << 14n)) !== 0n;
}

export function cmdline(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
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

function statFields(pid: number): string[] | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}
