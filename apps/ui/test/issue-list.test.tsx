// @vitest-environment jsdom
import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { fakeApi, renderBoard } from "./helpers/board.js";

const company = { id: "co1", name: "Acme Robotics", status: "active", description: null, spentMonthlyCents: 0, budgetMonthlyCents: 0 };
const agent = { id: "ag1", name: "Script Bot", status: "idle" };
const issue = (n: number, status: string, assigneeAgentId: string | null) => ({
  id: `is${n}`,
  identifier: `ACM-${n}`,
  title: `Issue number ${n}`,
  status,
  priority: "high",
  assigneeAgentId,
  updatedAt: new Date().toISOString(),
});

describe("issue list", () => {
  it("renders the company's issues from the API, with assignee names and links", async () => {
    const api = fakeApi({
      "GET /api/companies": { body: [company] },
      "GET /api/companies/co1/agents": { body: [agent] },
      "GET /api/auth/get-session": { body: { user: { id: "u" }, session: { id: "s", source: "session" } } },
      "GET /api/companies/co1/issues": { body: [issue(2, "in_progress", "ag1"), issue(1, "todo", null)] },
    });
    renderBoard("/c/co1/issues", api);

    const table = await screen.findByRole("table");
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);
    // One link per row (one tab stop): the title, with the identifier beside it.
    expect(
      within(rows[0]!)
        .getAllByRole("link")
        .map((a) => [a.textContent, a.getAttribute("href")]),
    ).toEqual([["Issue number 2", "/c/co1/issues/ACM-2"]]);
    expect(within(rows[0]!).getByText("ACM-2")).toBeTruthy();
    expect(within(rows[0]!).getByText("In progress")).toBeTruthy();
    expect(await within(rows[0]!).findByText("Script Bot")).toBeTruthy();
    expect(within(rows[1]!).getByText("Unassigned")).toBeTruthy();
    expect(screen.getByRole("link", { name: "Issues" }).getAttribute("aria-current")).toBe("page");

    // The open-issues filter is sent as the server's comma list, through the generated client.
    const list = api.requests.find((u) => u.pathname === "/api/companies/co1/issues")!;
    expect(list.searchParams.get("status")).toBe("backlog,todo,in_progress,in_review,blocked");
    expect(list.searchParams.get("limit")).toBe("1000");
  });

  it("shows the shared empty state when nothing matches", async () => {
    const api = fakeApi({
      "GET /api/companies": { body: [company] },
      "GET /api/companies/co1/agents": { body: [] },
      "GET /api/auth/get-session": { body: { user: { id: "u" }, session: { id: null, source: "local" } } },
      "GET /api/companies/co1/issues": { body: [] },
    });
    renderBoard("/c/co1/issues?status=done", api);
    expect(await screen.findByText(/No issues match/)).toBeTruthy();
    expect(screen.queryByRole("table")).toBeNull();
  });

  it("shows an API error with a way to try again", async () => {
    const api = fakeApi({
      "GET /api/companies": { body: [company] },
      "GET /api/companies/co1/agents": { body: [] },
      "GET /api/auth/get-session": { body: { user: { id: "u" }, session: { id: null, source: "local" } } },
      "GET /api/companies/co1/issues": { status: 400, body: { error: "Invalid status filter" } },
    });
    renderBoard("/c/co1/issues", api);
    expect((await screen.findByRole("alert")).textContent).toBe("Invalid status filter");
    expect(screen.getByRole("button", { name: "Try again" })).toBeTruthy();
  });
});
