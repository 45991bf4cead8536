import { describe, expect, it } from "vitest";
import { joinArgs, splitArgs } from "../src/lib/format.js";
import { parseLiveEvent } from "../src/lib/live.js";
import { paginate } from "../src/lib/paginate.js";
import { BOARD_COLUMNS, countBy, groupByStatus } from "../src/lib/status.js";
import { buildTranscript, parseLog } from "../src/lib/transcript.js";
import { statusFilterValues } from "../src/pages/issues.js";

describe("status grouping", () => {
  it("groups into the given columns in order, unknown statuses last", () => {
    const items = [
      { id: 1, status: "done" },
      { id: 2, status: "todo" },
      { id: 3, status: "todo" },
      { id: 4, status: "weird" },
    ];
    const groups = groupByStatus(items, ["todo", "in_progress", "done"]);
    expect(groups.map((g) => [g.status, g.items.map((i) => i.id)])).toEqual([
      ["todo", [2, 3]],
      ["in_progress", []],
      ["done", [1]],
      ["weird", [4]],
    ]);
    expect(countBy(items, (i) => i.status)).toEqual({ done: 1, todo: 2, weird: 1 });
  });

  it("board columns cover every issue status of the contracts", () => {
    expect([...BOARD_COLUMNS].sort()).toEqual(["backlog", "blocked", "cancelled", "done", "in_progress", "in_review", "todo"]);
  });

  it("status filter values", () => {
    expect(statusFilterValues("open")).toEqual(["backlog", "todo", "in_progress", "in_review", "blocked"]);
    expect(statusFilterValues("all")).toEqual([]);
    expect(statusFilterValues("done,bogus")).toEqual(["done"]);
  });
});

describe("pagination", () => {
  const items = Array.from({ length: 1000 }, (_, i) => i);
  it("renders at most 100 items per page", () => {
    const p = paginate(items, 1);
    expect(p.items).toHaveLength(100);
    expect(p).toMatchObject({ page: 1, pageCount: 10, total: 1000, from: 1, to: 100 });
    expect(paginate(items, 10).items[99]).toBe(999);
  });
  it("clamps the page into range", () => {
    expect(paginate(items, 99).page).toBe(10);
    expect(paginate(items, -3).page).toBe(1);
    expect(paginate(items, Number.NaN).page).toBe(1);
    expect(paginate([], 1)).toMatchObject({ items: [], page: 1, pageCount: 1, from: 0, to: 0 });
    expect(paginate(items.slice(0, 250), 3)).toMatchObject({ from: 201, to: 250 });
  });
});

describe("live events", () => {
  it("parses SSE data", () => {
    expect(parseLiveEvent('{"type":"agent.status","companyId":"c","payload":{"agentId":"a"}}')).toMatchObject({
      type: "agent.status",
      payload: { agentId: "a" },
    });
    expect(parseLiveEvent("not json")).toBeNull();
    expect(parseLiveEvent("{}")).toBeNull();
  });
});

describe("transcript", () => {
  it("merges chunks per stream and keeps partial lines together", () => {
    const log = [
      { ts: "1", stream: "stdout", chunk: "working on " },
      { ts: "2", stream: "stdout", chunk: "it\nstill" },
      { ts: "3", stream: "stdout", chunk: " going\n" },
      { ts: "4", stream: "stderr", chunk: "warning!\n" },
      { ts: "5", stream: "system", chunk: "exit 0" },
    ]
      .map((l) => JSON.stringify(l))
      .join("\n");
    expect(buildTranscript(parseLog(log))).toEqual([
      { stream: "stdout", text: "working on it\nstill going" },
      { stream: "stderr", text: "warning!" },
      { stream: "system", text: "exit 0" },
    ]);
  });
  it("reduces structured agent output to its text", () => {
    const lines = [
      JSON.stringify({ type: "system", subtype: "init" }),
      JSON.stringify({ type: "assistant", message: { content: [{ type: "text", text: "Hello board" }] } }),
      JSON.stringify({ type: "result", result: "All done" }),
      "plain line",
    ];
    const log = JSON.stringify({ ts: "1", stream: "stdout", chunk: `${lines.join("\n")}\n` });
    expect(buildTranscript(parseLog(log))).toEqual([{ stream: "stdout", text: "Hello board\nAll done\nplain line" }]);
  });
});

describe("command arguments", () => {
  it("splits like a shell, with quotes", () => {
    expect(splitArgs(`-c "echo working on it; sleep 1"`)).toEqual(["-c", "echo working on it; sleep 1"]);
    expect(splitArgs(`a 'b c' "" d\\ e`)).toEqual(["a", "b c", "", "d e"]);
    expect(splitArgs("   ")).toEqual([]);
  });
  it("joinArgs round-trips", () => {
    const args = ["-c", "echo hi; sleep 1", "", 'say "x"'];
    expect(splitArgs(joinArgs(args))).toEqual(args);
  });
});
