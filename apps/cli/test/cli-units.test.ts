import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { resolveCredential, unauthorizedHint } from "../src/credentials.js";
import { jsonForTerminal, safeText } from "../src/safe-text.js";
import { parseCommand, takeWord } from "../src/args.js";
import { UsageError } from "../src/errors.js";
import { normalizeBaseUrl } from "../src/http-client.js";
import { Progress } from "../src/progress.js";
import { completeLines } from "../src/commands/run-follow.js";
import { cell, formatDuration, renderTable } from "../src/table.js";

describe("argument parsing", () => {
  it("takeWord skips global options and their values", () => {
    expect(takeWord(["--api", "http://x", "--json", "agent", "list"])).toEqual({
      word: "agent",
      rest: ["--api", "http://x", "--json", "list"],
    });
    expect(takeWord(["--company", "list", "issue"])).toEqual({ word: "issue", rest: ["--company", "list"] });
    expect(takeWord(["--json", "--", "x"]).word).toBeUndefined();
  });

  it("parseCommand separates positionals from words after --, and rejects unknown options", () => {
    const p = parseCommand(["Bot", "--role", "qa", "--json", "--", "/bin/sh", "-c", "echo --role"], { role: { type: "string" } }, "usage");
    expect(p.positionals).toEqual(["Bot"]);
    expect(p.rest).toEqual(["/bin/sh", "-c", "echo --role"]);
    expect(p.values.role).toBe("qa");
    expect(p.globals.json).toBe(true);
    expect(() => parseCommand(["--nope"], {}, "usage")).toThrow(UsageError);
  });

  it("normalizeBaseUrl accepts the server root or its /api prefix", () => {
    expect(normalizeBaseUrl("http://127.0.0.1:3100/")).toBe("http://127.0.0.1:3100");
    expect(normalizeBaseUrl("http://127.0.0.1:3100/api/")).toBe("http://127.0.0.1:3100");
    expect(() => normalizeBaseUrl("ftp://x")).toThrow(UsageError);
  });
});

describe("tables", () => {
  it("aligns columns, never pads the last one, and keeps each row on one line", () => {
    const out = renderTable(
      [
        { a: "x", b: "multi\nline" },
        { a: "longer", b: null },
      ],
      [
        { header: "A", value: (r) => r.a },
        { header: "B", value: (r) => r.b },
      ],
    );
    expect(out).toBe("A       B\nx       multi line\nlonger  -\n");
    expect(cell("abcdef", 4)).toBe("abc…");
    expect(formatDuration("2026-01-01T00:00:00Z", "2026-01-01T00:01:05Z")).toBe("1m05s");
    expect(formatDuration(null, null)).toBe("-");
  });
});

describe("log slices", () => {
  it("completeLines leaves a partial last line (even mid-character) for the next read", () => {
    const whole = '{"chunk":"é"}\n';
    expect(completeLines(`${whole}{"chunk":"ab`)).toEqual({ lines: ['{"chunk":"é"}'], bytes: Buffer.byteLength(whole) });
    expect(completeLines('{"chunk":')).toEqual({ lines: [], bytes: 0 });
  });
});

describe("progress", () => {
  function fakeStream() {
    const writes: string[] = [];
    return { writes, stream: { write: (s: string) => writes.push(s) } as unknown as NodeJS.WriteStream };
  }

  it("writes nothing when disabled (stderr is not a terminal)", async () => {
    const { writes, stream } = fakeStream();
    const p = new Progress(stream, false);
    await p.around("waiting", new Promise((r) => setTimeout(r, 450)));
    expect(writes).toEqual([]);
  });

  it("shows only after a delay and erases its line when done", async () => {
    const { writes, stream } = fakeStream();
    const p = new Progress(stream, true);
    await p.around("quick", Promise.resolve());
    expect(writes).toEqual([]);
    await p.around("slow", new Promise((r) => setTimeout(r, 500)));
    expect(writes.some((w) => w.includes("slow"))).toBe(true);
    expect(writes[writes.length - 1]).toBe("\r\x1b[K");
  });
});

describe("safe text (D14)", () => {
  const PROBE = "Harmless \u001b]52;c;ZWNobyBwd25lZA==\u0007\u001b[8mhidden\u001b[0m";

  it("removes the probe's OSC 52 clipboard write and its hidden-text CSI", () => {
    expect(safeText(PROBE)).toBe("Harmless hidden");
  });

  it("removes 7-bit and 8-bit sequences, C0/C1 controls, CR and bidi controls; keeps newline and tab", () => {
    expect(safeText("a\u001b]0;title\u001b\\b")).toBe("ab"); // OSC ended by ST
    expect(safeText("a\u009d8;;http://x\u009cb\u009b2Jc")).toBe("abc"); // 8-bit OSC and CSI
    expect(safeText("x\u001bPq#0;1\u001b\\y\u001b(Bz\u001bc")).toBe("xyz"); // DCS, charset, RIS
    expect(safeText("one\r\ntwo\rthree\u0000\u0008\u007f\u0085")).toBe("one\ntwothree");
    expect(safeText("tab\there\nnext")).toBe("tab\there\nnext");
    expect(safeText("abc\u202edcba\u2066x\u2069")).toBe("abcdcbax");
    expect(safeText("unterminated \u001b]52;c;AAAA")).not.toContain("\u001b");
    expect(safeText("plain ünïcødé — ok")).toBe("plain ünïcødé — ok");
  });

  it("tables measure and print cleaned cells", () => {
    expect(renderTable([{ t: PROBE }], [{ header: "TITLE", value: (r) => r.t }])).toBe("TITLE\nHarmless hidden\n");
  });

  it("JSON stays exact: JSON.stringify escapes C0 itself, jsonForTerminal escapes C1 and bidi", () => {
    const value = { title: PROBE, c1: "a\u009b31mb\u202e" };
    const text = jsonForTerminal(JSON.stringify(value));
    expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(text).toContain("\\u001b]52;c;");
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe("credentials", () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "staple-cli-cred-"));
  const token = `stb_${"ab".repeat(24)}`;
  fs.writeFileSync(path.join(home, "board-token"), `${token}\n`, { mode: 0o600 });
  const env = { STAPLE_HOME: home };

  it("flag, then STAPLE_API_KEY, then the token file", () => {
    expect(resolveCredential({ flag: "pcp_x", env: { ...env, STAPLE_API_KEY: "pcp_y" }, baseUrl: "http://127.0.0.1:3100" })).toMatchObject({
      apiKey: "pcp_x",
      source: "flag",
    });
    expect(
      resolveCredential({ flag: undefined, env: { ...env, STAPLE_API_KEY: "pcp_y" }, baseUrl: "http://127.0.0.1:3100" }),
    ).toMatchObject({ apiKey: "pcp_y", source: "env" });
    for (const baseUrl of ["http://127.0.0.1:3100", "http://localhost:4000", "http://[::1]:3100"]) {
      expect(resolveCredential({ flag: undefined, env, baseUrl })).toMatchObject({ apiKey: token, source: "token-file" });
    }
  });

  it("never sends the token file to a server that is not on this machine", () => {
    const c = resolveCredential({ flag: undefined, env, baseUrl: "https://staple.example.com" });
    expect(c.apiKey).toBeUndefined();
    expect(unauthorizedHint(c, "https://staple.example.com")).toContain("the token file is only sent to a server on this machine");
  });
});
