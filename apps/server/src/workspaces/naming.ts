import path from "node:path";

/** Longest slug taken from an issue title; branch names stay readable in `git branch` listings. */
export const SLUG_MAX = 40;
/** The branch template used when the project sets none. */
export const DEFAULT_BRANCH_TEMPLATE = "staple/{identifier}-{slug}";

/**
 * A title as a branch-safe slug: ASCII lowercase letters, digits and single hyphens, at most
 * SLUG_MAX characters, never empty ("issue" when nothing is left). Accents are folded first, so
 * "Réparer l'écran" becomes "reparer-l-ecran".
 */
export function slugify(title: string, max = SLUG_MAX): string {
  const folded = title.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  const slug = folded
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, max)
    .replace(/-+$/g, "");
  return slug || "issue";
}

/**
 * Whether `name` is a branch name git accepts and that needs no quoting anywhere: only
 * [A-Za-z0-9._/-], no empty or dot-led path component, no "..", no ".lock" suffix, no leading "-".
 * Stricter than `git check-ref-format`, so a name that passes is also safe as an argument.
 */
export function isSafeBranchName(name: string): boolean {
  if (name.length === 0 || name.length > 200) return false;
  if (!/^[A-Za-z0-9._/-]+$/.test(name)) return false;
  if (name.startsWith("-") || name.startsWith("/") || name.endsWith("/") || name.endsWith(".")) return false;
  if (name.includes("..") || name.includes("//") || name.endsWith(".lock")) return false;
  return name.split("/").every((part) => part !== "" && !part.startsWith(".") && !part.endsWith(".lock"));
}

/**
 * The branch of an issue's worktree: the template with `{identifier}` (the issue identifier, e.g.
 * ACME-12) and `{slug}` (slugified title) filled in. Returns null when the result is not a safe
 * branch name (the caller reports the project's template as invalid).
 */
export function branchNameFor(issue: { identifier: string | null; id: string; title: string }, template?: string | null): string | null {
  const identifier = (issue.identifier ?? issue.id.slice(0, 8)).replace(/[^A-Za-z0-9-]+/g, "-");
  const name = (template?.trim() || DEFAULT_BRANCH_TEMPLATE)
    .replaceAll("{identifier}", identifier)
    .replaceAll("{slug}", slugify(issue.title));
  return isSafeBranchName(name) ? name : null;
}

/** Where an issue's worktree lives: `<home>/workspaces/<companyId>/<issueId>` (ids are uuids). */
export function worktreePathFor(home: string, companyId: string, issueId: string): string {
  return path.join(home, "workspaces", companyId, issueId);
}

/**
 * An agent's configured working directory, moved into its worktree: a `cwd` inside the repository
 * (the checkout the worktree came from) becomes the same place inside the worktree, so a coding
 * agent hired with `cwd: /path/to/repo` still works isolated. A relative `cwd` is already taken
 * from the run's directory; a `cwd` outside the repository is the operator's explicit choice and is
 * left alone (`moved: false`).
 */
export function rebaseConfigCwd(
  config: Record<string, unknown>,
  repoRoot: string,
  worktree: string,
  realpath: (p: string) => string = (p) => p,
): { config: Record<string, unknown>; moved: boolean } {
  const cwd = config.cwd;
  if (typeof cwd !== "string" || !path.isAbsolute(cwd)) return { config, moved: false };
  const root = realpath(repoRoot);
  for (const candidate of [path.resolve(cwd), realpath(path.resolve(cwd))]) {
    const rel = path.relative(root, candidate);
    if (rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel))) {
      return { config: { ...config, cwd: path.join(worktree, rel) }, moved: true };
    }
  }
  return { config, moved: false };
}
