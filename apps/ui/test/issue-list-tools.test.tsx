// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Issue } from "../src/api/types.js";
import { FIRST_PASS_ROWS } from "../src/pages/issues.js";
import { fakeApi, renderBoard } from "./helpers/board.js";

const company = {
  id: "co1",
  name: "Acme Robotics",
  issuePrefix: "ACM",
  status: "active",
  description: null,
  spentMonthlyCents: 0,
  budgetMonthlyCents: 0,
};
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
    createdAt: "2026-12-01T00:00:00.000Z",
    updatedAt: new Date(Date.UTC(2026, 11, 1, 0, 0, n)).toISOString(),
    ...extra,
  }) as Issue;
const board = (issues: Issue[]) =>
  fakeApi({
    "GET /api/companies": { body: [company] },
    "GET /api/companies/co1/agents": { body: [] },
    "GET /api/companies/co1/projects": { body: [] },
    "GET /api/companies/co1/labels": { body: [] },
    "GET /api/companies/co1/approvals": { body: [] },
    "GET /api/auth/get-session": { body: { user: { id: "u" }, session: { id: null, source: "local" } } },
    "GET /api/companies/co1/issues": { body: issues },
  });

describe("the issue list folds a flood of look-alikes (S7)", () => {
  it("56 'Recover stalled issue' issues are one collapsed row that expands and collapses", async () => {
    const flood = Array.from({ length: 56 }, (_, i) => row(100 + i, { title: `Recover stalled issue ACM-${i + 1}` }));
    renderBoard("/c/co1/issues", board([row(1, { title: "Ship the vacuum" }), ...flood]));
    const toggle = await screen.findByRole("button", { name: /56 similar issues/ }, { timeout: 8000 });
    const table = screen.getByRole("table");
    // Collapsed: the other issue and the fold's head only.
    expect(
      within(table)
        .getAllByRole("link")
        .map((a) => a.textContent),
    ).toEqual(["Ship the vacuum"]);
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    fireEvent.click(toggle);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    expect(within(table).getAllByRole("link", { name: /^Recover stalled issue/ })).toHaveLength(56);
    fireEvent.click(toggle);
    expect(within(table).queryAllByRole("link", { name: /^Recover stalled issue/ })).toHaveLength(0);
  });
});

describe("a board column shows all its issues on demand (S21)", () => {
  it("starts at 20 cards and grows by 50 until every card is shown", async () => {
    const many = Array.from({ length: 75 }, (_, i) => row(i + 1));
    renderBoard("/c/co1/issues?view=board", board(many));
    const column = () => document.querySelector<HTMLElement>('section.column[data-status="todo"]')!;
    await screen.findByRole("button", { name: "Show 50 more" }, { timeout: 8000 });
    expect(column().querySelectorAll("li.issue-card")).toHaveLength(20);
    fireEvent.click(within(column()).getByRole("button", { name: "Show 50 more" }));
    expect(column().querySelectorAll("li.issue-card")).toHaveLength(70);
    fireEvent.click(within(column()).getByRole("button", { name: "Show 5 more" }));
    expect(column().querySelectorAll("li.issue-card")).toHaveLength(75);
    expect(within(column()).queryByRole("button", { name: /more$/ })).toBeNull();
  });
});

describe("the new-issue form (S11)", () => {
  it("sends the chosen project, parent issue and labels", async () => {
    const api = fakeApi({
      "GET /api/companies": { body: [company] },
      "GET /api/companies/co1/agents": { body: [] },
      "GET /api/companies/co1/approvals": { body: [] },
      "GET /api/auth/get-session": { body: { user: { id: "u" }, session: { id: null, source: "local" } } },
      "GET /api/companies/co1/projects": { body: [{ id: "pr1", name: "Vacuum" }] },
      "GET /api/companies/co1/labels": {
        body: [
          { id: "lb1", name: "urgent", color: "#dc2626" },
          { id: "lb2", name: "docs", color: "#2563eb" },
        ],
      },
      "GET /api/companies/co1/issues": { body: [row(7, { title: "Ship the vacuum" })] },
      "POST /api/companies/co1/issues": { status: 201, body: row(8, { title: "Write the manual" }) },
    });
    renderBoard("/c/co1/issues/new", api);
    fireEvent.change(await screen.findByLabelText("Title", undefined, { timeout: 8000 }), { target: { value: "Write the manual" } });
    await screen.findByRole("option", { name: "Vacuum" });
    fireEvent.change(screen.getByLabelText("Project"), { target: { value: "pr1" } });
    await screen.findByRole("option", { name: "ACM-7 Ship the vacuum" });
    fireEvent.change(screen.getByLabelText("Parent issue"), { target: { value: "is7" } });
    fireEvent.click(within(screen.getByRole("group", { name: "Labels" })).getByLabelText("docs"));
    fireEvent.click(screen.getByRole("button", { name: "Create issue" }));
    await waitFor(() => expect(api.callsTo("POST /api/companies/co1/issues")).toHaveLength(1));
    expect(api.callsTo("POST /api/companies/co1/issues")[0]!.body).toMatchObject({
      title: "Write the manual",
      projectId: "pr1",
      parentId: "is7",
      labelIds: ["lb2"],
    });
  });
});

describe("the list draws its first screen of rows first", () => {
  it("shows the first rows at once and the rest of the page right after, in order", async () => {
    const many = Array.from({ length: 150 }, (_, i) => row(i + 1));
    renderBoard("/c/co1/issues", board(many));
    const table = await screen.findByRole("table", {}, { timeout: 8000 });
    const rows = () => [...table.querySelectorAll<HTMLElement>("tr[data-issue-id]")];
    expect(rows().length).toBeGreaterThan(0);
    expect(rows().length).toBeLessThanOrEqual(FIRST_PASS_ROWS);
    await waitFor(() => expect(rows()).toHaveLength(100));
    // In the server's order, one row index per row, and the pager counts the whole page.
    expect(rows().map((r) => r.dataset.issueId)).toEqual(many.slice(0, 100).map((i) => i.id));
    expect(rows().map((r) => Number(r.dataset.row))).toEqual([...Array(100).keys()]);
    expect(document.querySelector(".pager [role=status]")?.textContent).toMatch(/1–100 of 150/);
  });
});
