import { describe, expect, it } from "vitest";
import { parseCommand, takeWord } from "../src/args.js";
import { UsageError } from "../src/errors.js";
import { normalizeBaseUrl } from "../src/http-client.js";
import { Progress } from "../src/progress.js";
import { completeLines } from "../src/commands/run-follow.js";
import { cell, formatDuration, renderTable } from "../src/table.js";

describe("argument parsing", () => {
  it("takeWord skips global options and their values", () => {
    expect(takeWord(["--api", "http://x", "--json", "agent", "list"])).toEqual({ word: "agent", rest: ["--api", "http://x", "--json", "list"] });
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
    expect(completeLines(whole + '{"chunk":"ab')).toEqual({ lines: ['{"chunk":"é"}'], bytes: Buffer.byteLength(whole) });
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
