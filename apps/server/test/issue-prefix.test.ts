import { describe, expect, it } from "vitest";
import { baseIssuePrefix, FALLBACK_ISSUE_PREFIX, nextFreeIssuePrefix } from "../src/companies/issue-prefix.js";

describe("baseIssuePrefix", () => {
  it.each([
    ["Transcript Co", "TRA"],
    ["Transcript Two", "TRA"],
    ["Other Co", "OTH"],
    ["acme", "ACM"],
    ["Ab", "AB"],
    ["x", "X"],
    ["A B C D", "ABC"],
    ["  spaced  out  ", "SPA"],
    ["3M Company", "MCO"],
    ["123 Go", "GO"],
    ["a1b2c3", "ABC"],
    ["O'Reilly", "ORE"],
    ["e-corp", "ECO"],
    ["Émile Zola", "EMI"],
    ["Ünïcödé", "UNI"],
    ["123", FALLBACK_ISSUE_PREFIX],
    ["", FALLBACK_ISSUE_PREFIX],
    ["   ", FALLBACK_ISSUE_PREFIX],
    ["!!! ???", FALLBACK_ISSUE_PREFIX],
    ["日本語の会社", FALLBACK_ISSUE_PREFIX],
    ["🚀🚀🚀", FALLBACK_ISSUE_PREFIX],
  ])("%j -> %s", (name, expected) => {
    expect(baseIssuePrefix(name)).toBe(expected);
  });

  it("the fallback is Paperclip's PAP", () => {
    expect(FALLBACK_ISSUE_PREFIX).toBe("PAP");
  });

  it("always yields 1..3 upper-case ASCII letters", () => {
    for (const name of ["Transcript Co", "x", "123", "Émile", "日本", "zzzzzz"]) {
      expect(baseIssuePrefix(name)).toMatch(/^[A-Z]{1,3}$/);
    }
  });
});

describe("nextFreeIssuePrefix", () => {
  it.each([
    ["nothing taken", "TRA", [], "TRA"],
    ["base taken", "TRA", ["TRA"], "TRAA"],
    ["base and one A taken", "TRA", ["TRA", "TRAA"], "TRAAA"],
    ["three taken", "TRA", ["TRA", "TRAA", "TRAAA"], "TRAAAA"],
    ["gap: only the longer one taken", "TRA", ["TRAA"], "TRA"],
    ["gap in the middle", "TRA", ["TRA", "TRAAA"], "TRAA"],
    ["unrelated prefixes ignored", "TRA", ["TRB", "TRAB", "XTRA"], "TRA"],
    ["other suffixes do not count as A-suffixes", "TRA", ["TRA", "TRAB", "TRAC"], "TRAA"],
    ["lower-case is a different prefix", "TRA", ["tra"], "TRA"],
    ["fallback prefix collides too", "PAP", ["PAP"], "PAPA"],
    ["short base", "X", ["X", "XA"], "XAA"],
  ])("%s", (_label, base, taken, expected) => {
    expect(nextFreeIssuePrefix(base, new Set(taken))).toBe(expected);
  });

  it("never returns a taken prefix, and is deterministic", () => {
    const taken = new Set<string>();
    const seen: string[] = [];
    for (let i = 0; i < 20; i++) {
      const next = nextFreeIssuePrefix("ABC", taken);
      expect(taken.has(next)).toBe(false);
      expect(nextFreeIssuePrefix("ABC", taken)).toBe(next);
      taken.add(next);
      seen.push(next);
    }
    expect(seen[0]).toBe("ABC");
    expect(seen[19]).toBe(`ABC${"A".repeat(19)}`);
    expect(new Set(seen).size).toBe(20);
  });

  it("does not mutate the taken set", () => {
    const taken = new Set(["TRA"]);
    nextFreeIssuePrefix("TRA", taken);
    expect([...taken]).toEqual(["TRA"]);
  });
});
