export interface MentionCandidate {
  id: string;
  name: string;
  urlKey: string;
}

/*
 * Comment bodies are attacker-sized (up to 100,000 characters from any agent), so every step here
 * is linear in the body length: link mentions are found by a forward scan with `indexOf` that never
 * revisits a character range, and plain mentions are tried only at `@` characters, each try costing
 * at most the label's length (no regular expression, so no backtracking).
 */

/** `](agent://` after the display text; compared ASCII case-insensitively, like the old `/i` regex. */
const LINK_TARGET = "](agent://";
const UUID_LENGTH = 36;
const DASHES = new Set([8, 13, 18, 23]);

function asciiLower(code: number): number {
  return code >= 65 && code <= 90 ? code + 32 : code;
}

function isHex(code: number): boolean {
  const c = asciiLower(code);
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
}

/** The agent id of a `](agent://<uuid>)` tail starting at `close` (a `]`), or null. */
function linkTargetAt(body: string, close: number): string | null {
  const end = close + LINK_TARGET.length + UUID_LENGTH + 1;
  if (end > body.length) return null;
  for (let k = 0; k < LINK_TARGET.length; k++) {
    if (asciiLower(body.charCodeAt(close + k)) !== LINK_TARGET.charCodeAt(k)) return null;
  }
  const idStart = close + LINK_TARGET.length;
  for (let k = 0; k < UUID_LENGTH; k++) {
    const code = body.charCodeAt(idStart + k);
    if (DASHES.has(k) ? code !== 45 : !isHex(code)) return null;
  }
  if (body.charCodeAt(idStart + UUID_LENGTH) !== 41) return null;
  return body.slice(idStart, idStart + UUID_LENGTH).toLowerCase();
}

interface Span {
  start: number;
  end: number;
}

/**
 * `[@<display text>](agent://<uuid>)` links, left to right, not overlapping. The display text is
 * everything up to the first `]` after `[@`, so every `[@` before that `]` shares its fate: when
 * the tail after the `]` is not a link target, the scan resumes after the `]`. Each character is
 * looked at a bounded number of times.
 */
function findLinks(body: string): (Span & { id: string })[] {
  const links: (Span & { id: string })[] = [];
  let open = body.indexOf("[@");
  while (open !== -1) {
    const close = body.indexOf("]", open + 2);
    if (close === -1) break;
    const id = linkTargetAt(body, close);
    if (id === null) {
      open = body.indexOf("[@", close + 1);
      continue;
    }
    const end = close + LINK_TARGET.length + UUID_LENGTH + 1;
    links.push({ start: open, end, id });
    open = body.indexOf("[@", end);
  }
  return links;
}

const isWordCode = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const SPACE = 32;
const AT = 64;

const folded = new Map<number, number>();
/**
 * The case-insensitive form of one UTF-16 code unit, as a non-unicode `/i` regular expression compares
 * them: the upper case of the unit when it is a single unit, except that a non-ASCII unit never
 * becomes ASCII (so `ı` is not `i` and the Kelvin sign is not `k`).
 */
function fold(code: number): number {
  if (code < 128) return code >= 97 && code <= 122 ? code - 32 : code;
  let f = folded.get(code);
  if (f === undefined) {
    const upper = String.fromCharCode(code).toUpperCase();
    f = upper.length === 1 && upper.charCodeAt(0) >= 128 ? upper.charCodeAt(0) : code;
    folded.set(code, f);
  }
  return f;
}

/**
 * Plain `@label` mentions of one label in `text` (char codes, blanked in place as they are found).
 * Same rule as the regular expression `(^|[^\w@.])@label(?![\w-])` with flags `gi`: the `@` starts
 * the body or follows a character that is not a word character, `@` or `.`; the label matches
 * case-insensitively; no word character or `-` follows. Like that expression's `lastIndex`, the
 * character before the next `@` must lie after the previous match. Only `@` positions are tried,
 * each costing at most the label's length.
 */
function matchLabel(text: Uint16Array, atPositions: readonly number[], label: string, onMatch: (at: number) => void) {
  const want = Array.from({ length: label.length }, (_, k) => fold(label.charCodeAt(k)));
  let earliest = 0; // the smallest `@` position the next match may use
  for (const at of atPositions) {
    if (at < earliest || text[at] !== AT) continue;
    if (at > 0) {
      const before = text[at - 1]!;
      if (isWordCode(before) || before === AT || before === 46) continue;
    }
    const end = at + 1 + want.length;
    if (end > text.length) break;
    let same = true;
    for (let k = 0; k < want.length && same; k++) same = fold(text[at + 1 + k]!) === want[k];
    if (!same) continue;
    if (end < text.length && (isWordCode(text[end]!) || text[end] === 45)) continue;
    onMatch(at);
    text.fill(SPACE, at, end);
    earliest = end + 1;
  }
}

/**
 * Agents mentioned in a comment body: `[@Name](agent://<id>)` links (by id) and plain `@Name` or
 * `@url-key` (case-insensitive, not inside a word or an e-mail address). Longer names are matched
 * first, so `@Echo Bot` is not also read as `@Echo`. Returns ids in order of first mention.
 */
export function parseMentions(body: string, agents: readonly MentionCandidate[]): string[] {
  if (agents.length === 0 || !body.includes("@")) return [];
  const found: { id: string; at: number }[] = [];
  const byId = new Map(agents.map((a) => [a.id.toLowerCase(), a.id]));
  const links = findLinks(body);
  for (const link of links) {
    const id = byId.get(link.id);
    if (id !== undefined) found.push({ id, at: link.start });
  }
  // Blank out link mentions (known or not) so their display names are not matched a second time.
  const text = new Uint16Array(body.length);
  for (let k = 0; k < body.length; k++) text[k] = body.charCodeAt(k);
  for (const { start, end } of links) text.fill(SPACE, start, end);
  const atPositions: number[] = [];
  for (let k = 0; k < text.length; k++) if (text[k] === AT) atPositions.push(k);

  const names = agents
    .flatMap((a) => [
      { id: a.id, label: a.name.trim() },
      { id: a.id, label: a.urlKey },
    ])
    .filter((n) => n.label.length > 0)
    .sort((x, y) => y.label.length - x.label.length);
  // Longest labels first; a match is blanked before shorter labels are tried.
  for (const { id, label } of names) matchLabel(text, atPositions, label, (at) => found.push({ id, at }));
  const ordered = found.sort((a, b) => a.at - b.at).map((f) => f.id);
  return [...new Set(ordered)];
}
