import { describe, expect, it } from "vitest";
import { parseMentions, type MentionCandidate } from "../src/issues/mentions.js";

// D5 of the December probe: mention parsing must stay linear in the comment length. The bound is
// generous and measured in CPU time of this process (best of three), so a loaded, shared machine
// does not flake it; the quadratic parser took 0.2 s to several seconds on these inputs.
const MAX_COMMENT = 100_000;
const BOUND_MS = 50;

const ECHO = "aaaaaaaa-0000-4000-8000-000000000001";
const ECHO_BOT = "aaaaaaaa-0000-4000-8000-000000000002";
const SHORT = "aaaaaaaa-0000-4000-8000-000000000003";
const agents: MentionCandidate[] = [
  { id: ECHO, name: "Echo", urlKey: "echo" },
  { id: ECHO_BOT, name: "Echo Bot", urlKey: "echo-bot" },
  { id: SHORT, name: "a", urlKey: "a" },
];

const fill = (unit: string) => unit.repeat(Math.floor(MAX_COMMENT / unit.length));

/** The adversarial shapes, each as large as a comment may be. */
export const ADVERSARIAL: [string, string][] = [
  ["[@ repeated (no closing bracket)", "[@".repeat(49_999)],
  ["@ repeated", "@".repeat(MAX_COMMENT)],
  ["link prefix without an id, repeated", fill("[@a](agent://")],
  ["link with a truncated id, repeated", fill(`[@a](agent://${ECHO.slice(0, 35)}`)],
  ["[@ then one long display text", `[@${"x".repeat(MAX_COMMENT - 2)}`],
  ["every word a mention of a one-letter agent", fill(" @a")],
  ["every word a mention, link form", fill(`[@a](agent://${SHORT}) `)],
  ["name prefixes that never complete", fill(" @Echo Bo")],
];

function timed(body: string): { ms: number; result: string[] } {
  let best = Infinity;
  let result: string[] = [];
  for (let i = 0; i < 3; i++) {
    const started = process.cpuUsage();
    result = parseMentions(body, agents);
    const used = process.cpuUsage(started);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return { ms: best, result };
}

describe("parseMentions on adversarial comments (D5)", () => {
  it.each(ADVERSARIAL)(`%s: under ${BOUND_MS} ms of CPU`, (_label, body) => {
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT);
    const { ms } = timed(body);
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it("still finds the mentions inside the large inputs", () => {
    expect(timed(fill(" @a")).result).toEqual([SHORT]);
    expect(timed(fill(`[@a](agent://${SHORT}) `)).result).toEqual([SHORT]);
    expect(timed(`${"[@".repeat(49_000)}](agent://${ECHO})`).result).toEqual([ECHO]);
    expect(timed(`${"@".repeat(90_000)} @Echo`).result).toEqual([ECHO]);
  });
});

describe("parseMentions on normal comments (unchanged behaviour)", () => {
  it.each([
    ["plain name", "hi @Echo", [ECHO]],
    ["longer name wins", "hi @Echo Bot!", [ECHO_BOT]],
    ["url key", "cc @echo-bot.", [ECHO_BOT]],
    ["case-insensitive", "@ECHO BOT and @echo", [ECHO_BOT, ECHO]],
    ["link by id", `see [@Someone](agent://${ECHO})`, [ECHO]],
    ["link id in upper case", `[@x](AGENT://${ECHO.toUpperCase()})`, [ECHO]],
    ["link display text is not read again", `[@Echo Bot](agent://${ECHO})`, [ECHO]],
    ["link text runs to the first ]", `[@a [@b](agent://${ECHO_BOT})`, [ECHO_BOT]],
    ["a ] inside the text breaks the link (what is left is a plain @a)", `[@a]b](agent://${ECHO})`, [SHORT]],
    ["link to an unknown id", "[@x](agent://bbbbbbbb-0000-4000-8000-000000000009)", []],
    ["link without closing parenthesis", `[@x](agent://${ECHO}`, []],
    ["link then name, ordered by position", `[@x](agent://${ECHO_BOT}) then @Echo`, [ECHO_BOT, ECHO]],
    ["name then link", `@Echo then [@x](agent://${ECHO_BOT})`, [ECHO, ECHO_BOT]],
    ["e-mail is not a mention", "write to ops@echo.com", []],
    ["inside a word is not a mention", "foo@Echo", []],
    ["a dot before @ is not a mention", ".@Echo", []],
    ["a longer word is not the name", "@Echoes", []],
    ["a hyphen continues the word", "@Echo-x", []],
    ["after a blanked longer mention", "@Echo Bot@Echo", [ECHO_BOT, ECHO]],
    ["each agent once", "@Echo @echo @ECHO", [ECHO]],
    ["multi-line text", `line one\n@Echo\n[@x](agent://${ECHO_BOT})\n`, [ECHO, ECHO_BOT]],
    ["no @ at all", "nothing to see", []],
  ] as [string, string, string[]][])("%s", (_label, body, expected) => {
    expect(parseMentions(body, agents)).toEqual(expected);
  });
});
