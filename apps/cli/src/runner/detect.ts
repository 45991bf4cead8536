import fs from "node:fs";
import path from "node:path";

/** Adapters a runner can run whatever is installed (a command or an HTTP endpoint). */
const ALWAYS = ["process", "http"] as const;
/** Adapters that need a coding-agent CLI on PATH, by the command they run. */
const BY_COMMAND: Readonly<Record<string, string>> = { claude_local: "claude", codex_local: "codex" };

/** True when `command` is an executable file in one of PATH's directories. */
function onPath(command: string, pathEnv: string | undefined): boolean {
  for (const dir of (pathEnv ?? "").split(path.delimiter)) {
    if (!dir) continue;
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK);
      return true;
    } catch {
      /* not here */
    }
  }
  return false;
}

/** The adapter types this machine can run (advertised at registration; docs/runners.md). Pure but for PATH lookups. */
export function detectAdapterTypes(pathEnv: string | undefined): string[] {
  return [...ALWAYS, ...Object.entries(BY_COMMAND).flatMap(([type, command]) => (onPath(command, pathEnv) ? [type] : []))];
}
