/**
 * `@` mentions in the comment box: finding the word being typed after an `@`, matching agent names
 * against it and inserting the chosen `@Name`. The server reads plain `@Name` (names may contain
 * spaces; longer names win), so that is what is inserted.
 */

export interface MentionQuery {
  /** Index of the `@` in the text. */
  start: number;
  /** What follows the `@` up to the caret (may be empty right after typing `@`). */
  query: string;
}

/**
 * The mention being typed at `caret`, if any: an `@` at the start of the text or after whitespace or
 * an opening bracket, followed by letters, digits, `-`, `_`, `.` or single spaces between words
 * (names like "Script Bot"), up to the caret. An e-mail address (`a@b`) is not a mention.
 */
export function mentionQuery(text: string, caret: number): MentionQuery | null {
  const before = text.slice(0, caret);
  const match = /(^|[\s([{])@([\p{L}\p{N}_.-]*(?: [\p{L}\p{N}_.-]+)*)$/u.exec(before);
  if (!match) return null;
  const start = match.index + match[1]!.length;
  const query = match[2]!;
  if (query.length > 60) return null;
  return { start, query };
}

/**
 * Names matching a query, best first: names starting with it, then names with a word starting with
 * it, then names containing it; case-insensitive; each group keeps the given order. An empty query
 * matches every name. At most `limit` results.
 */
export function matchNames<T extends { name: string }>(items: readonly T[], query: string, limit = 8): T[] {
  const q = query.trim().toLowerCase();
  if (!q) return items.slice(0, limit);
  const prefix: T[] = [];
  const word: T[] = [];
  const inner: T[] = [];
  for (const item of items) {
    const name = item.name.toLowerCase();
    if (name.startsWith(q)) prefix.push(item);
    else if (name.split(/[\s_.-]+/).some((w) => w.startsWith(q))) word.push(item);
    else if (name.includes(q)) inner.push(item);
  }
  return [...prefix, ...word, ...inner].slice(0, limit);
}

/** Replaces the mention being typed (from its `@` to the caret) by `@Name ` and returns the new text and caret. */
export function insertMention(text: string, mention: MentionQuery, caret: number, name: string): { text: string; caret: number } {
  const inserted = `@${name} `;
  const after = text.slice(caret).replace(/^ /, "");
  return { text: text.slice(0, mention.start) + inserted + after, caret: mention.start + inserted.length };
}
