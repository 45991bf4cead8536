// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Approval } from "../src/api/types.js";
import { fakeApi, renderBoard, type FakeRoutes } from "./helpers/board.js";

const company = { id: "co1", name: "Acme Robotics", status: "active", description: null, spentMonthlyCents: 0, budgetMonthlyCents: 0 };
const agents = [
  { id: "ag1", name: "Script Bot", status: "idle" },
  { id: "ag9", name: "Night Owl", status: "pending_approval" },
];
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

function approval(n: number, fields: Partial<Approval>): Approval {
  return {
    id: uuid(n),
    companyId: "co1",
    type: "request_board_approval",
    requestedByAgentId: "ag1",
    requestedByUserId: null,
    status: "pending",
    payload: {},
    decisionNote: null,
    decidedByUserId: null,
    decidedAt: null,
    createdAt: `2026-12-0${n}T10:00:00.000Z`,
    updatedAt: `2026-12-0${n}T10:00:00.000Z`,
    ...fields,
  };
}

const decided = approval(1, {
  status: "approved",
  payload: { title: "Old strategy" },
  decidedAt: "2026-12-02T10:00:00.000Z",
  decisionNote: "Fine by us",
});
const hire = approval(2, {
  type: "hire_agent",
  payload: { name: "Night Owl", role: "engineer", title: "Night shift", adapterType: "process", agentId: "ag9" },
});
const budget = approval(3, {
  type: "budget_override_required",
  requestedByAgentId: null,
  payload: { scopeType: "agent", scopeId: "ag1", amount: 5000, observed: 6250 },
});

function routes(extra: FakeRoutes = {}): FakeRoutes {
  return {
    "GET /api/companies": { body: [company] },
    "GET /api/companies/co1/agents": { body: agents },
    "GET /api/auth/get-session": { body: { user: { id: "u" }, session: { id: null, source: "local" } } },
    // The server lists newest first; the page puts pending (oldest first) above decided.
    "GET /api/companies/co1/approvals": { body: [budget, hire, decided] },
    [`GET /api/approvals/${hire.id}/issues`]: {
      body: [{ id: uuid(50), identifier: "ACM-4", title: "Staff the night shift", status: "todo" }],
    },
    [`GET /api/approvals/${hire.id}/comments`]: {
      body: [
        {
          id: uuid(60),
          companyId: "co1",
          approvalId: hire.id,
          authorAgentId: "ag1",
          authorUserId: null,
          body: "We need cover at night",
          createdAt: "2026-12-02T11:00:00.000Z",
          updatedAt: "2026-12-02T11:00:00.000Z",
        },
      ],
    },
    [`GET /api/approvals/${budget.id}/issues`]: { body: [] },
    [`GET /api/approvals/${budget.id}/comments`]: { body: [] },
    ...extra,
  };
}

describe("approvals page", () => {
  it("lists pending approvals first with their summaries, linked issues and comments, decided ones after", async () => {
    const api = fakeApi(routes());
    renderBoard("/c/co1/approvals", api);
    const pending = await screen.findByRole("list", { name: "Pending approvals" });
    const cards = within(pending).getAllByRole("article");
    expect(cards.map((c) => c.getAttribute("aria-label"))).toEqual(["Hire an agent approval", "Budget override approval"]);
    // A hire shows the agent's name, role and adapter; its linked issue and comment load when open.
    expect(within(cards[0]!).getByRole("link", { name: "Night Owl" }).getAttribute("href")).toBe("/c/co1/agents/ag9");
    expect(within(cards[0]!).getAllByText("engineer · Night shift").length).toBeGreaterThan(0);
    expect(within(cards[0]!).getAllByText("process").length).toBeGreaterThan(0);
    expect((await within(cards[0]!).findByRole("link", { name: "ACM-4" })).getAttribute("href")).toBe("/c/co1/issues/ACM-4");
    expect(await within(cards[0]!).findByText("We need cover at night")).toBeTruthy();
    // A budget override names its scope and the amounts.
    expect(within(cards[1]!).getAllByText("agent: Script Bot").length).toBeGreaterThan(0);
    expect(within(cards[1]!).getByText("$62.50")).toBeTruthy();
    expect(within(cards[1]!).getByText("$12.50")).toBeTruthy();
    expect(within(cards[1]!).getByText(/System \(budget hard stop\)/)).toBeTruthy();
    // Decided approvals come after, collapsed, without decision buttons.
    const rest = screen.getByRole("list", { name: "Decided approvals" });
    expect(within(rest).getByText("Old strategy")).toBeTruthy();
    expect(within(rest).queryByRole("button", { name: "Approve" })).toBeNull();
    // The sidebar counts the pending ones.
    expect(screen.getByRole("link", { name: "Approvals (2 pending)" }).getAttribute("aria-current")).toBe("page");
  });

  it("deciding sends the note, then the decision buttons disappear", async () => {
    let current: Approval[] = [budget, hire, decided];
    const approved = {
      ...hire,
      status: "approved" as const,
      decisionNote: "Welcome aboard",
      decidedAt: "2026-12-05T10:00:00.000Z",
      decidedByUserId: "u",
    };
    const api = fakeApi(
      routes({
        "GET /api/companies/co1/approvals": () => ({ body: current }),
        [`POST /api/approvals/${hire.id}/approve`]: () => {
          current = [budget, approved, decided];
          return { body: approved };
        },
      }),
    );
    renderBoard("/c/co1/approvals", api);
    const pending = await screen.findByRole("list", { name: "Pending approvals" });
    const card = within(pending).getAllByRole("article")[0]!;
    fireEvent.change(within(card).getByLabelText("Decision note (optional)"), { target: { value: "Welcome aboard" } });
    fireEvent.click(within(card).getByRole("button", { name: "Approve" }));
    await waitFor(() => expect(api.callsTo(`POST /api/approvals/${hire.id}/approve`)).toHaveLength(1));
    expect(api.callsTo(`POST /api/approvals/${hire.id}/approve`)[0]!.body).toEqual({ decisionNote: "Welcome aboard" });
    // The hire moved to the decided list; only the budget override still offers decisions.
    const rest = await screen.findByRole("list", { name: "Decided approvals" });
    await waitFor(() => expect(within(rest).getAllByRole("article")).toHaveLength(2));
    expect(within(screen.getByRole("list", { name: "Pending approvals" })).getAllByRole("article")).toHaveLength(1);
    expect(screen.getAllByRole("button", { name: "Approve" })).toHaveLength(1);
    expect(screen.getByRole("link", { name: "Approvals (1 pending)" })).toBeTruthy();
  });

  it("the dashboard's Needs the board links each pending approval to its page", async () => {
    const api = fakeApi(
      routes({
        "GET /api/companies/co1/dashboard": {
          body: {
            companyId: "co1",
            agents: { total: 2, byStatus: {} },
            issues: { total: 0, byStatus: {} },
            costs: { monthSpendCents: 0, monthBudgetCents: 0 },
            pendingApprovals: 2,
          },
        },
      }),
    );
    renderBoard("/c/co1", api);
    const list = await screen.findByRole("list", { name: "Pending approvals" });
    const links = within(list).getAllByRole("link");
    expect(links.map((l) => [l.textContent, l.getAttribute("href")])).toEqual([
      ["Hire an agent", `/c/co1/approvals/${hire.id}`],
      ["Budget override", `/c/co1/approvals/${budget.id}`],
    ]);
    expect(screen.getByRole("link", { name: "2 approvals pending" }).getAttribute("href")).toBe("/c/co1/approvals");
  });
});
