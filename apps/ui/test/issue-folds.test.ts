import { describe, expect, it } from "vitest";
import { FOLD_MIN, foldSimilar, similarityKey } from "../src/lib/issue-folds.js";

const issue = (title: string, id = title) => ({ id, title });

describe("folding look-alike issues in the list", () => {
  it("blanks identifiers and ids, so a loop's issues share one key; plain numbers still tell issues apart", () => {
    expect(similarityKey("Recover stalled issue ACM-12")).toBe(similarityKey("Recover stalled issue ACM-311"));
    expect(similarityKey("Retry run 3f2a9c1d")).toBe(similarityKey("Retry run 77be01aa"));
    expect(similarityKey("Write the changelog")).not.toBe(similarityKey("Write the README"));
    expect(similarityKey("Backlog item 7")).not.toBe(similarityKey("Backlog item 8"));
  });

  it("folds 56 'Recover stalled issue' issues into one entry where the first was, keeps the rest in order", () => {
    const flood = Array.from({ length: 56 }, (_, i) => issue(`Recover stalled issue ACM-${i + 10}`));
    const list = [issue("Ship the robot"), ...flood.slice(0, 30), issue("Fix the wheel"), ...flood.slice(30)];
    const entries = foldSimilar(list);
    expect(entries.map((e) => (e.kind === "item" ? e.item.title : `fold:${e.items.length}`))).toEqual([
      "Ship the robot",
      "fold:56",
      "Fix the wheel",
    ]);
    const fold = entries[1]!;
    expect(fold.kind === "fold" && fold.items.map((i) => i.title)).toEqual(flood.map((i) => i.title));
  });

  it("leaves fewer than FOLD_MIN look-alikes alone", () => {
    const few = Array.from({ length: FOLD_MIN - 1 }, (_, i) => issue(`Review PR-${i + 1}`));
    expect(foldSimilar(few).every((e) => e.kind === "item")).toBe(true);
    expect(foldSimilar([...few, issue("Review PR-99")]).map((e) => e.kind)).toEqual(["fold"]);
    const numbered = Array.from({ length: 20 }, (_, i) => issue(`Backlog item ${i + 1}`));
    expect(foldSimilar(numbered).every((e) => e.kind === "item")).toBe(true);
  });
});
