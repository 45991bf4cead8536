import fs from "node:fs";
import path from "node:path";
import {
  DETACHED_STOP_GRACE_MS,
  groupBelongsToRun,
  scanProcessGroups,
  stopRunGroup,
} from "@staple/server/dist/runs/recovery/detached-process.js";

/**
 * Agent processes that outlived the runner that started them.
 *
 * An adapter starts its agent in a process group of its own, so a SIGKILLed runner leaves its agents
 * running: nobody streams their output any more, the server retries their runs elsewhere once the
 * leases lapse, and a coding agent keeps spending tokens on work that counts for nothing. Each spawn
 * is therefore recorded as `<runner home>/live-runs/<run id>.json` ({runId, pgid}) and the record is
 * removed when the run ends here. A runner that starts on that home stops the groups of the records
 * it finds before it claims anything.
 *
 * Invariant: a group is signalled only while one of its members carries `PAPERCLIP_RUN_ID=<run id>`
 * in its environment (groupBelongsToRun, checked before each signal), so a recycled process group id
 * (a stranger's group) is never touched. Without /proc (not Linux) nothing can be proved and nothing
 * is killed; the record is kept for a later start on a machine that can tell.
 */

export interface SpawnRecord {
  runId: string;
  pgid: number;
}

export interface OrphanStop extends SpawnRecord {
  signal: "SIGTERM" | "SIGKILL";
}

const recordsDir = (home: string) => path.join(home, "live-runs");
const recordPath = (home: string, runId: string) => path.join(recordsDir(home), `${encodeURIComponent(runId)}.json`);

/** Notes that run `runId`'s agent runs in process group `pgid` (best effort: a failed write is reported, never thrown). */
export function recordSpawn(home: string, record: SpawnRecord, note?: (message: string) => void): void {
  if (!Number.isInteger(record.pgid) || record.pgid <= 1) return;
  try {
    fs.mkdirSync(recordsDir(home), { recursive: true });
    fs.writeFileSync(recordPath(home, record.runId), JSON.stringify(record));
  } catch (error) {
    note?.(`Could not record the process group of run ${record.runId}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The run ended on this runner: its processes are its adapter's business no more. */
export function forgetRun(home: string, runId: string): void {
  fs.rmSync(recordPath(home, runId), { force: true });
}

/** Records left in `home` (unreadable or malformed ones are dropped). */
export function readSpawnRecords(home: string): SpawnRecord[] {
  let names: string[];
  try {
    names = fs.readdirSync(recordsDir(home));
  } catch {
    return [];
  }
  const records: SpawnRecord[] = [];
  for (const name of names) {
    const file = path.join(recordsDir(home), name);
    try {
      const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<SpawnRecord>;
      if (typeof parsed.runId === "string" && Number.isInteger(parsed.pgid) && (parsed.pgid as number) > 1) {
        records.push({ runId: parsed.runId, pgid: parsed.pgid as number });
        continue;
      }
    } catch {
      // fall through: a half-written or foreign file
    }
    fs.rmSync(file, { force: true });
  }
  return records;
}

/**
 * Stops every recorded group that still belongs to its run (SIGTERM, then SIGKILL after `graceMs`)
 * and clears the records whose processes are gone. Resolves when each group is gone or was left alone.
 */
export async function stopOrphans(home: string, opts: { graceMs?: number; note?: (message: string) => void } = {}): Promise<OrphanStop[]> {
  const records = readSpawnRecords(home);
  if (records.length === 0) return [];
  if (process.platform !== "linux" || !fs.existsSync("/proc/self/stat")) return [];
  const groups = scanProcessGroups();
  const stops = await Promise.all(
    records.map(async (record): Promise<OrphanStop | undefined> => {
      if (!groupBelongsToRun(record.pgid, record.runId, groups)) {
        forgetRun(home, record.runId);
        return undefined;
      }
      const signal = await stopRunGroup(record.pgid, record.runId, opts.graceMs ?? DETACHED_STOP_GRACE_MS);
      forgetRun(home, record.runId);
      opts.note?.(`Stopped process group ${record.pgid} of run ${record.runId} (${signal}): it outlived the runner that started it`);
      return { ...record, signal };
    }),
  );
  return stops.filter((s): s is OrphanStop => s !== undefined);
}
