// @vitest-environment jsdom
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { ActivityEntry, Comment, Issue, IssueRun } from "../src/api/types.js";
import { LiveDuration } from "../src/components/live-duration.js";
import { MarkdownText } from "../src/components/markdown.js";
import { globalKeyAction } from "../src/lib/hotkeys.js";
import { applyIssueView, groupIssues, readIssueView, toggleStatus, toggleValue } from "../src/lib/issue-filters.js";
import { buildTimeline, describeChange } from "../src/lib/issue-timeline.js";
import { paletteItems } from "../src/lib/palette.js";
import { roleLabel } from "../src/lib/roles.js";
import { fakeApi, renderBoard, renderInCompany } from "./helpers/board.js";

const company = {
  id: "co1",
  name: "Acme Robotics",
  issuePrefix: "ACM",
  status: "active",
  description: null,
  spentMonthlyCents: 0,
  budgetMonthlyCents: 0,
};
const agents = [
  { id: "ag1", name: "Script Bot", status: "idle", role: "engineer" },
  { id: "ag2", name: "Margaret", status: "idle", role: "cto" },
];
const row = (n: number, extra: Partial<Issue> = {}) =>
  ({
    id: `is${n}`,
    identifier: `ACM-${n}`,
    issueNumber: n,
    title: `Issue number ${n}`,
    status: "todo",
    priority: "medium",
    assigneeAgentId: null,
    projectId: null,
    labelIds: [],
    labels: [],
    createdAt: `2026-12-01T0${n}:00:00.000Z`,
    updatedAt: `2026-12-01T0${n}:00:00.000Z`,
    ...extra,
  }) as Issue;

describe("issue list view (URL → rows)", () => {
  const issues = [
    row(1, { assigneeAgentId: "ag1", priority: "low" }),
    row(2, { assigneeAgentId: "ag2", priority: "critical", status: "in_progress" }),
    row(3, { labelIds: ["l1"], priority: "high" }),
  ];
  it("filters by several assignees, 'none', priority and label, and searches title or identifier", () => {
    const view = (qs: string) => applyIssueView(issues, readIssueView(new URLSearchParams(qs))).map((i) => i.identifier);
    expect(view("assignee=ag1,ag2")).toEqual(["ACM-1", "ACM-2"]);
    expect(view("assignee=none")).toEqual(["ACM-3"]);
    expect(view("priority=critical,high")).toEqual(["ACM-2", "ACM-3"]);
    expect(view("label=l1")).toEqual(["ACM-3"]);
    expect(view("label=none")).toEqual(["ACM-1", "ACM-2"]);
    expect(view("q=acm-2")).toEqual(["ACM-2"]);
    expect(view("q=number 3")).toEqual(["ACM-3"]);
    expect(view("sort=priority")).toEqual(["ACM-2", "ACM-3", "ACM-1"]);
    expect(view("sort=identifier")).toEqual(["ACM-3", "ACM-2", "ACM-1"]);
  });
  it("groups in a natural order, unset last; toggles comma lists and status presets", () => {
    expect(groupIssues(issues, "assignee").map((g) => [g.key, g.items.length])).toEqual([
      ["ag1", 1],
      ["ag2", 1],
      ["none", 1],
    ]);
    expect(groupIssues(issues, "status").map((g) => g.key)).toEqual(["todo", "in_progress"]);
    expect(toggleValue(["a"], "b")).toBe("a,b");
    expect(toggleValue(["a"], "a")).toBeNull();
    expect(toggleStatus("open", "done")).toBe("backlog,todo,in_progress,in_review,done,blocked");
    expect(toggleStatus("open", "todo")).toBe("backlog,in_progress,in_review,blocked");
    expect(toggleStatus("all", "cancelled")).toBe("backlog,todo,in_progress,in_review,done,blocked");
  });
});

describe("palette, keys, roles, timeline", () => {
  it("puts an exact identifier first, then pages and agents and title matches", () => {
    const src = {
      base: "/c/co1",
      pages: [{ path: "/issues", label: "Issues" }],
      agents: [{ id: "ag1", name: "Script Bot" }],
      issues: [
        { id: "a", identifier: "ACM-12", title: "Fix ACM-1 regression", status: "todo" },
        { id: "b", identifier: "ACM-1", title: "Script the launch", status: "done" },
      ],
    };
    expect(paletteItems(src, "acm-1").map((i) => i.to)).toEqual(["/c/co1/issues/ACM-1", "/c/co1/issues/ACM-12"]);
    expect(paletteItems(src, "script").map((i) => i.label)).toEqual(["Script Bot", "ACM-1 Script the launch"]);
    expect(paletteItems(src, "").map((i) => i.label)).toEqual(["New issue", "Issues"]);
  });
  it("global keys: Ctrl/⌘+K anywhere, c and / only outside fields", () => {
    const input = document.createElement("input");
    const key = (k: string, target: EventTarget | null = document.body, mods: Partial<KeyboardEvent> = {}) =>
      globalKeyAction({ key: k, metaKey: false, ctrlKey: false, altKey: false, target, ...mods });
    expect(key("k", input, { ctrlKey: true })).toBe("palette");
    expect(key("k", document.body, { metaKey: true })).toBe("palette");
    expect(key("c")).toBe("newIssue");
    expect(key("/")).toBe("search");
    expect(key("c", input)).toBeNull();
    expect(key("c", document.body, { ctrlKey: true })).toBeNull();
  });
  it("role labels keep abbreviations in capitals (S8)", () => {
    expect(["ceo", "cto", "devops", "engineer", "qa"].map(roleLabel)).toEqual(["CEO", "CTO", "DevOps", "Engineer", "QA"]);
  });
  it("orders comments, runs and changes in one timeline and words the changes", () => {
    const at = (m: number) => `2026-12-01T10:${String(m).padStart(2, "0")}:00.000Z`;
    const timeline = buildTimeline({
      comments: [{ id: "c1", createdAt: at(5), body: "hi" } as Comment],
      interactions: [],
      runs: [{ runId: "r1", createdAt: at(3) } as IssueRun],
      activity: [
        { id: "a1", action: "issue.updated", createdAt: at(1), details: { changes: { status: { from: "todo", to: "in_progress" } } } },
        { id: "a2", action: "issue.checked_out", createdAt: at(2), details: {} },
        { id: "a3", action: "issue.updated", createdAt: at(4), details: { changes: { description: { from: "a", to: "b" } } } },
      ] as unknown as ActivityEntry[],
    });
    expect(timeline.map((e) => e.key)).toEqual(["a:a1", "r:r1", "c:c1"]);
    const names = { agent: () => "Margaret", project: () => "P", goal: () => "G" };
    const first = timeline[0]!;
    expect(first.kind === "event" && describeChange(first.changes[0]!, names)).toBe("moved it from Todo to In progress");
    expect(describeChange({ field: "assigneeAgentId", from: null, to: "ag2" }, names)).toBe("assigned it to Margaret");
  });
});

describe("issue identifiers in markdown", () => {
  it("become links to the issue with its live status; other prefixes, code and words are left alone", async () => {
    const api = fakeApi({
      "GET /api/issues/ACM-4": { body: { ...row(4, { title: "Wire the sensors", status: "blocked" }), ancestors: [] } },
    });
    const { container } = renderInCompany(
      <MarkdownText
        source={"Blocked on ACM-4, not on XACM-4 or FOO-4; see `ACM-4` and @Margaret."}
        mentionNames={["Margaret"]}
        issuePrefix="ACM"
      />,
      api,
      agents as never,
    );
    const chip = container.querySelector("a.issue-ref")!;
    expect(container.querySelectorAll("a.issue-ref")).toHaveLength(1);
    expect(chip.getAttribute("href")).toBe("/c/co1/issues/ACM-4");
    await waitFor(() => expect(chip.getAttribute("data-status")).toBe("blocked"));
    expect(chip.textContent).toBe("ACM-4 (Blocked)");
    expect(container.querySelector("code")!.textContent).toBe("ACM-4");
    expect(container.querySelector(".mention")!.textContent).toBe("@Margaret");
  });
});

describe("a live run's duration ticks (S2)", () => {
  it("advances every second while the run has no finish time, and stays put once it has one", () => {
    vi.useFakeTimers({ now: Date.parse("2026-12-01T10:00:05.000Z") });
    try {
      const { container, rerender } = render(<LiveDuration startedAt="2026-12-01T10:00:00.000Z" finishedAt={null} />);
      expect(container.textContent).toBe("5.0 s");
      act(() => vi.advanceTimersByTime(3000));
      expect(container.textContent).toBe("8.0 s");
      rerender(<LiveDuration startedAt="2026-12-01T10:00:00.000Z" finishedAt="2026-12-01T10:00:09.000Z" />);
      act(() => vi.advanceTimersByTime(3000));
      expect(container.textContent).toBe("9.0 s");
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("in the board", () => {
  const routes = (issues: Issue[]) => ({
    "GET /api/companies": { body: [company] },
    "GET /api/companies/co1/agents": { body: agents },
    "GET /api/companies/co1/projects": { body: [] },
    "GET /api/companies/co1/labels": { body: [] },
    "GET /api/companies/co1/approvals": { body: [] },
    "GET /api/auth/get-session": { body: { user: { id: "u" }, session: { id: null, source: "local" } } },
    "GET /api/companies/co1/issues": (url: URL) => ({
      body: url.searchParams.get("assigneeAgentId")
        ? issues.filter((i) => i.assigneeAgentId === url.searchParams.get("assigneeAgentId"))
        : issues,
    }),
  });

  it("Ctrl+K opens the palette; typing an identifier and Enter opens that issue", async () => {
    const api = fakeApi({
      ...routes([row(1), row(7, { title: "Ship the vacuum" })]),
      "GET /api/issues/ACM-7": {
        body: { ...row(7, { title: "Ship the vacuum" }), ancestors: [], children: [], blockedBy: [], blocks: [] },
      },
    });
    renderBoard("/c/co1/issues", api);
    await screen.findByRole("table", undefined, { timeout: 5000 });
    fireEvent.keyDown(window, { key: "k", ctrlKey: true });
    const box = await screen.findByRole("combobox", { name: /Go to an issue/ }, { timeout: 5000 });
    fireEvent.change(box, { target: { value: "acm-7" } });
    await within(screen.getByRole("listbox")).findByText("ACM-7 Ship the vacuum", undefined, { timeout: 5000 });
    fireEvent.keyDown(box, { key: "Enter" });
    // The issue page is a lazily loaded chunk: allow for its first import.
    expect(await screen.findByRole("heading", { level: 1, name: /ACM-7 Ship the vacuum/ }, { timeout: 8000 })).toBeTruthy();
    expect(screen.queryByRole("dialog", { name: "Command palette" })).toBeNull();
  });

  it("j/k move through the list's rows and Enter opens the highlighted one", async () => {
    const api = fakeApi({
      ...routes([row(1), row(2)]),
      "GET /api/issues/ACM-2": { body: { ...row(2), ancestors: [], children: [], blockedBy: [], blocks: [] } },
    });
    renderBoard("/c/co1/issues", api);
    await screen.findByText("Issue number 2", undefined, { timeout: 5000 });
    fireEvent.keyDown(document.body, { key: "j" });
    fireEvent.keyDown(document.body, { key: "j" });
    fireEvent.keyDown(document.body, { key: "k" });
    // The first row (the server's order) is highlighted and its link has focus.
    expect(document.activeElement?.textContent).toBe("Issue number 1");
    fireEvent.keyDown(document.body, { key: "j" });
    expect(screen.getByText("Issue number 2").closest("tr")!.className).toBe("active");
    fireEvent.keyDown(document.body, { key: "Enter" });
    expect(await screen.findByRole("heading", { level: 1, name: /ACM-2 Issue number 2/ }, { timeout: 8000 })).toBeTruthy();
  });

  it("dragging a board card to another column moves it at once and sends the status", async () => {
    const api = fakeApi({ ...routes([row(1), row(2)]), "PATCH /api/issues/is1": { body: {} } });
    renderBoard("/c/co1/issues?view=board", api);
    const card = (await screen.findByText("Issue number 1", undefined, { timeout: 5000 })).closest("li")!;
    const column = (status: string) => document.querySelector(`section.column[data-status="${status}"]`)!;
    fireEvent.dragStart(card);
    fireEvent.dragOver(column("in_progress"));
    fireEvent.drop(column("in_progress"));
    expect(within(column("in_progress") as HTMLElement).getByText("Issue number 1")).toBeTruthy();
    await waitFor(() => expect(api.callsTo("PATCH /api/issues/is1").map((c) => c.body)).toEqual([{ status: "in_progress" }]));
  });

  it("filtering by one assignee asks the server for that assignee and names the filter", async () => {
    const api = fakeApi(routes([row(1, { assigneeAgentId: "ag1" }), row(2, { assigneeAgentId: "ag2" })]));
    renderBoard("/c/co1/issues", api);
    await screen.findByText("Issue number 2", undefined, { timeout: 5000 });
    fireEvent.click(within(screen.getByRole("group", { name: "Assignee" })).getByLabelText("Margaret"));
    await waitFor(() => expect(screen.queryByText("Issue number 1")).toBeNull());
    expect(screen.getByText("Assignee: Margaret")).toBeTruthy();
    expect(api.requests.at(-1)!.searchParams.get("assigneeAgentId")).toBe("ag2");
  });
});
