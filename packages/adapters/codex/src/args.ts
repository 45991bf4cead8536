import { DEFAULT_SAFE_SANDBOX, type CodexSandboxMode } from "./config.js";

/**
 * Builds the argv of one `codex exec` invocation (without the command itself).
 *
 * Shapes (verified against codex-cli 0.169.0 `codex exec --help` / `codex exec resume --help`):
 *   fresh:  exec --json [--model m] [-c model_reasoning_effort=e] <permission flags> [extraArgs] -
 *   resume: exec --json [--model m] [-c model_reasoning_effort=e] <permission flags> [extraArgs] resume <id> -
 * Every option sits before `resume`: `exec resume` rejects `--sandbox`, while exec-level options placed
 * before the subcommand apply to the resumed thread. The trailing `-` makes codex read the prompt from stdin.
 *
 * Permission flags:
 *   bypass:  --dangerously-bypass-approvals-and-sandbox (codex also skips its git-repo check then)
 *   safer:   --sandbox <mode> --skip-git-repo-check. `exec` always runs with approval policy "never";
 *            the old `--full-auto` shortcut (= workspace-write sandbox) no longer exists in 0.169.0 and is
 *            rejected as an unexpected argument. Without the bypass flag codex refuses to start outside a git
 *            work tree ("Not inside a trusted directory and --skip-git-repo-check was not specified.", exit 1),
 *            hence --skip-git-repo-check, which is a directory check, not a sandbox bypass.
 *
 * Invariants: the result never contains environment values or the prompt; a session id is only placed
 * after `resume` (callers validate it with `isResumableSessionId`).
 */
export interface CodexArgsOptions {
  model: string | null;
  reasoningEffort: string | null;
  /** true: pass the bypass flag; false: pass `--sandbox <sandbox>` and `--skip-git-repo-check`. */
  bypassApprovalsAndSandbox: boolean;
  /** Sandbox for the non-bypass form; null = workspace-write. */
  sandbox: CodexSandboxMode | null;
  extraArgs: readonly string[];
  /** Resume this thread; null = fresh session. */
  resumeSessionId: string | null;
}

export const BYPASS_FLAG = "--dangerously-bypass-approvals-and-sandbox";

export function buildCodexArgs(options: CodexArgsOptions): string[] {
  const args = ["exec", "--json"];
  if (options.model) args.push("--model", options.model);
  if (options.reasoningEffort) args.push("-c", `model_reasoning_effort=${options.reasoningEffort}`);
  if (options.bypassApprovalsAndSandbox) {
    args.push(BYPASS_FLAG);
  } else {
    args.push("--sandbox", options.sandbox ?? DEFAULT_SAFE_SANDBOX, "--skip-git-repo-check");
  }
  args.push(...options.extraArgs);
  if (options.resumeSessionId !== null) args.push("resume", options.resumeSessionId);
  args.push("-");
  return args;
}

/** A session id that can safely follow `resume`: codex thread ids are UUIDs; anything flag-like is refused. */
export function isResumableSessionId(id: unknown): id is string {
  return typeof id === "string" && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/.test(id);
}
