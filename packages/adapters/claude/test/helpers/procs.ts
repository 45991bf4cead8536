import fs from "node:fs";

/**
 * Non-zombie pids in process group `pgid` (Linux, via /proc). Zombies are excluded because
 * `kill(-pgid, 0)` still succeeds for exited children until init reaps them.
 */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    const [state, , group] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(group) === pgid && state !== "Z" && state !== "X") out.push(Number(entry));
  }
  return out;
}
