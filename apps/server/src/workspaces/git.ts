import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Bounds every git call: a hung git (credential prompt, lock) must not hold a run forever. */
const GIT_TIMEOUT_MS = 60_000;
const GIT_MAX_BUFFER = 8 * 1024 * 1024;

export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
  ) {
    super(`git ${args.join(" ")} failed: ${stderr.trim().slice(0, 500) || "no output"}`);
    this.name = "GitError";
  }
}

/**
 * Runs git with an argument array (never a shell), prompts disabled, and returns trimmed stdout.
 * Every value that reaches git comes from the database or our own naming functions; passing them
 * as separate arguments means no value is ever parsed by a shell.
 */
export async function git(cwd: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run("git", ["-C", cwd, ...args], {
      timeout: GIT_TIMEOUT_MS,
      maxBuffer: GIT_MAX_BUFFER,
      env: { ...process.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" },
    });
    return stdout.trim();
  } catch (error) {
    const e = error as { stderr?: string; message?: string };
    throw new GitError(args, e.stderr || e.message || String(error));
  }
}

/** The repository's top-level directory, or null when `cwd` is not inside a git work tree. */
export async function repoRoot(cwd: string): Promise<string | null> {
  try {
    return await git(cwd, ["rev-parse", "--show-toplevel"]);
  } catch {
    return null;
  }
}

export async function branchExists(root: string, branch: string): Promise<boolean> {
  try {
    await git(root, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`]);
    return true;
  } catch {
    return false;
  }
}

/** The commit a ref names (full sha). */
export const resolveCommit = (cwd: string, ref: string) => git(cwd, ["rev-parse", "--verify", `${ref}^{commit}`]);

/**
 * Adds a worktree at `dir` on `branch`: a new branch from `baseRef` (`worktree add -b`), or the
 * existing branch when an earlier workspace of the issue left it behind.
 */
export async function addWorktree(root: string, dir: string, branch: string, baseRef: string): Promise<void> {
  if (await branchExists(root, branch)) await git(root, ["worktree", "add", dir, branch]);
  else await git(root, ["worktree", "add", "-b", branch, dir, baseRef]);
}

/** Removes the worktree directory (the branch and its commits stay in the repository). */
export async function removeWorktree(root: string, dir: string): Promise<void> {
  await git(root, ["worktree", "remove", "--force", dir]);
  await git(root, ["worktree", "prune"]).catch(() => {});
}

export interface CommitInfo {
  sha: string;
  subject: string;
}

/** Commits reachable from HEAD of `cwd` and not from `base`, oldest first (bounded). */
export async function commitsSince(cwd: string, base: string, max = 200): Promise<CommitInfo[]> {
  const out = await git(cwd, ["log", "--reverse", `--max-count=${max}`, "--format=%H%x09%s", `${base}..HEAD`]);
  if (!out) return [];
  return out.split("\n").map((line) => {
    const tab = line.indexOf("\t");
    return { sha: line.slice(0, tab), subject: line.slice(tab + 1) };
  });
}
