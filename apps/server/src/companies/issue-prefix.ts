/** Prefix used when a company name has no letters at all (Paperclip's rule). */
export const FALLBACK_ISSUE_PREFIX = "PAP";

/** The base prefix: the first three letters of the name, upper-cased (`"Transcript Co"` -> `TRA`). */
export function baseIssuePrefix(name: string): string {
  const letters = name
    .normalize("NFKD")
    .toUpperCase()
    .replace(/[^A-Z]/g, "");
  return letters.slice(0, 3) || FALLBACK_ISSUE_PREFIX;
}

/**
 * The first free prefix among `BASE`, `BASEA`, `BASEAA`, … given the prefixes already taken.
 * Pure, so the collision rule is tested by a table; the caller retries on a unique-index race.
 */
export function nextFreeIssuePrefix(base: string, taken: ReadonlySet<string>): string {
  let candidate = base;
  while (taken.has(candidate)) candidate += "A";
  return candidate;
}
