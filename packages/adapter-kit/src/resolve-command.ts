import fs from "node:fs/promises";
import { constants } from "node:fs";
import path from "node:path";

export type CommandResolution = { status: "found"; path: string } | { status: "not_executable"; path: string } | { status: "not_found" };

/**
 * Finds the file `command` would run, the way execvp does: a name containing "/" is a path (relative to
 * `cwd`); a bare name is searched in each PATH directory in order, skipping matches that are not
 * executable regular files. A non-executable match is reported only when no executable one exists.
 */
export async function resolveCommand(command: string, cwd: string, pathEnv: string | undefined): Promise<CommandResolution> {
  if (command.includes("/")) {
    const full = path.resolve(cwd, command);
    return (await probeFile(full)) ?? { status: "not_found" };
  }
  let firstNonExecutable: CommandResolution | null = null;
  for (const dir of (pathEnv ?? "").split(path.delimiter)) {
    // An empty PATH entry means the current directory.
    const full = path.resolve(cwd, dir === "" ? "." : dir, command);
    const found = await probeFile(full);
    if (found?.status === "found") return found;
    if (found && firstNonExecutable === null) firstNonExecutable = found;
  }
  return firstNonExecutable ?? { status: "not_found" };
}

async function probeFile(file: string): Promise<CommandResolution | null> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return { status: "not_executable", path: file };
  } catch {
    return null;
  }
  try {
    await fs.access(file, constants.X_OK);
    return { status: "found", path: file };
  } catch {
    return { status: "not_executable", path: file };
  }
}
