import { spawn } from "node:child_process";

/** A setup or teardown command may run this long before it is killed. */
export const WORKSPACE_COMMAND_TIMEOUT_MS = 10 * 60_000;

export interface CommandResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
}

/** Taken from the server's environment when `env` does not set them; nothing else leaks in. */
const INHERITED_KEYS = ["PATH", "HOME", "LANG"] as const;

/**
 * Runs a project's setup or teardown command in the worktree through `/bin/sh -c` (the board
 * writes these as command lines, like a CI step) with the agent's environment, streaming output to
 * `onOutput`. The command text is the board's; nothing from an issue or an agent is interpolated.
 * `env` carries the project env and the PAPERCLIP_WORKSPACE_* variables, never the run token.
 */
export function runWorkspaceCommand(
  command: string,
  cwd: string,
  env: Record<string, string>,
  onOutput: (stream: "stdout" | "stderr", text: string) => void,
  timeoutMs = WORKSPACE_COMMAND_TIMEOUT_MS,
): Promise<CommandResult> {
  const childEnv: Record<string, string> = { ...env };
  for (const key of INHERITED_KEYS) if (childEnv[key] === undefined && process.env[key] !== undefined) childEnv[key] = process.env[key];
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", command], { cwd, env: childEnv, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, timeoutMs);
    child.stdout.setEncoding("utf8").on("data", (t: string) => onOutput("stdout", t));
    child.stderr.setEncoding("utf8").on("data", (t: string) => onOutput("stderr", t));
    child.on("error", (error) => {
      clearTimeout(timer);
      onOutput("stderr", `${error.message}\n`);
      resolve({ exitCode: null, signal: null, timedOut });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code, signal, timedOut });
    });
  });
}
