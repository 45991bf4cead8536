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

/**
 * The embedded database is a directory only one process may open. A pid file guards it: a live
 * owner makes the second server exit with a clear message; a stale file (crashed owner) is taken
 * over. Postgres servers need no such lock.
 */
export function acquireDataDirLock(home: string): DataDirLock {
  fs.mkdirSync(home, { recursive: true });
  const file = path.join(home, "server.pid");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: "wx" });
      return {
        release() {
          try {
            if (fs.readFileSync(file, "utf8").trim() === String(process.pid)) fs.unlinkSync(file);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(fs.readFileSync(file, "utf8").trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new DataDirBusyError(
          `Another Staple server (pid ${owner}) is using ${home}. Stop it first, or set STAPLE_HOME to another directory.`,
        );
      }
      fs.unlinkSync(file); // stale: its owner is gone
    }
  }
  throw new DataDirBusyError(`Could not lock ${home}; remove ${file} if no Staple server is running.`);
}
