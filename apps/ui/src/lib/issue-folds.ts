/**
 * Folding a flood of look-alike issues in the list (a loop that filed "Recover stalled issue ACM-12",
 * "… ACM-13", … dozens of times): issues whose titles are equal once the issue identifiers and ids in
 * them are blanked out form one collapsed entry ("56 similar issues") at the place of the first of
 * them. Plain numbers count ("Backlog item 7" and "… 8" are different work), and a title shared by
 * fewer than FOLD_MIN issues is left alone, so ordinary lists look as they did.
 */
export const FOLD_MIN = 5;

export type ListEntry<T> = { kind: "item"; item: T } | { kind: "fold"; key: string; title: string; items: T[] };

/** The title with what varies between look-alikes blanked: PREFIX-N identifiers, uuids, hex ids. */
export function similarityKey(title: string): string {
  return title
    .toLowerCase()
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "#")
    .replace(/\b[a-z][a-z0-9]*-\d+\b/g, "#")
    .replace(/\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,}\b/g, "#")
    .replace(/["'`“”‘’]/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** The list with every group of at least `min` look-alikes folded into one entry; order is kept otherwise. */
export function foldSimilar<T extends { title: string }>(items: readonly T[], min = FOLD_MIN): ListEntry<T>[] {
  const byKey = new Map<string, T[]>();
  const keys = items.map((item) => similarityKey(item.title));
  items.forEach((item, i) => {
    const key = keys[i]!;
    let group = byKey.get(key);
    if (!group) byKey.set(key, (group = []));
    group.push(item);
  });
  const entries: ListEntry<T>[] = [];
  const placed = new Set<string>();
  for (const [i, item] of items.entries()) {
    const key = keys[i]!;
    const group = byKey.get(key)!;
    if (group.length < min) entries.push({ kind: "item", item });
    else if (!placed.has(key)) {
      placed.add(key);
      entries.push({ kind: "fold", key, title: group[0]!.title, items: group });
    }
  }
  return entries;
}
