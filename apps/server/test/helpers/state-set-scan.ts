export interface RetypedList {
  line: number;
  text: string;
  set: string;
}

/**
 * Literal lists of quoted words, in parentheses (SQL `IN (…)`) or brackets (a TypeScript array):
 * two or more quoted words separated by commas, nothing else between the delimiters.
 */
const LIST = /[([]\s*((?:(["'`])[A-Za-z_][\w-]*\2\s*,\s*)+(["'`])[A-Za-z_][\w-]*\3)\s*,?\s*[)\]]/g;
const WORD = /(["'`])([A-Za-z_][\w-]*)\1/g;

/**
 * A list is a retyped state list when every word in it belongs to one state set and it names at
 * least two of them (the smallest set that contains the list is reported).
 */
export function findRetypedStateLists(text: string, sets: Record<string, readonly string[]>): RetypedList[] {
  const hits: RetypedList[] = [];
  for (const match of text.matchAll(LIST)) {
    const words = [...match[1]!.matchAll(WORD)].map((m) => m[2]!);
    if (new Set(words).size < 2) continue;
    const owners = Object.entries(sets)
      .filter(([, members]) => words.every((w) => members.includes(w)))
      .sort((a, b) => a[1].length - b[1].length);
    if (owners.length === 0) continue;
    hits.push({ line: text.slice(0, match.index).split("\n").length, text: match[0].replace(/\s+/g, " "), set: owners[0]![0] });
  }
  return hits;
}
