/**
 * The `claude` argv for one attempt. Pure: no file or env access.
 *
 * Invariants: the prompt never appears here (it goes on stdin, after the literal "-" prompt argument);
 * secrets never appear here (they travel in the environment); `--resume` appears only for a resumed
 * session and `--append-system-prompt-file` only for a fresh one; extraArgs come last, unchanged.
 */

export interface ClaudeArgsInput {
  resumeSessionId: string | null;
  /** null -> `--dangerously-skip-permissions`. */
  permissionMode: string | null;
  model: string | null;
  effort: string | null;
  maxTurns: number | null;
  /** Absolute path; used for fresh sessions only. */
  instructionsFile: string | null;
  skillsDir: string | null;
  extraArgs: readonly string[];
}

export const BASE_ARGS = ["--print", "-", "--output-format", "stream-json", "--verbose"] as const;

export function buildClaudeArgs(input: ClaudeArgsInput): string[] {
  const args: string[] = [...BASE_ARGS];
  if (input.resumeSessionId !== null) args.push("--resume", input.resumeSessionId);
  if (input.permissionMode !== null) args.push("--permission-mode", input.permissionMode);
  else args.push("--dangerously-skip-permissions");
  if (input.model !== null) args.push("--model", input.model);
  if (input.effort !== null) args.push("--effort", input.effort);
  if (input.maxTurns !== null) args.push("--max-turns", String(input.maxTurns));
  if (input.resumeSessionId === null && input.instructionsFile !== null) args.push("--append-system-prompt-file", input.instructionsFile);
  if (input.skillsDir !== null) args.push("--add-dir", input.skillsDir);
  args.push(...input.extraArgs);
  return args;
}
