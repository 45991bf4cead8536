// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { fakeApi, renderBoard } from "./helpers/board.js";

const company = { id: "co1", name: "Acme Robotics", status: "active", description: null, spentMonthlyCents: 0, budgetMonthlyCents: 0 };
const agents = [
  { id: "ag1", name: "Script Bot", status: "idle" },
  { id: "ag2", name: "Paused Pam", status: "paused" },
];
const issue = (over: Record<string, unknown> = {}) => ({
  id: "is1",
  identifier: "ACM-1",
  title: "Fix the gripper",
  status: "todo",
  priority: "high",
  assigneeAgentId: null,
  labels: [],
  updatedAt: new Date().toISOString(),
  ...over,
});
const me = (role: string) => ({
  user: { id: "u1", email: "v@example.test", name: "Val", isInstanceAdmin: false },
  memberships: [{ companyId: "co1", companyName: "Acme Robotics", role }],
  source: "session",
});

function board(patch: { status?: number; body: unknown }, role = "owner") {
  return fakeApi({
    "GET /api/companies": { body: [company] },
    "GET /api/companies/co1/agents": { body: agents },
    "GET /api/auth/get-session": { body: { user: { id: "u1" }, session: { id: "s1", source: "session" } } },
    "GET /api/auth/me": { body: me(role) },
    "GET /api/companies/co1/issues": { body: [issue()] },
    "PATCH /api/issues/is1": patch,
  });
}

describe("issue list inline edits", () => {
  it("sends a status change as PATCH {status} for that issue and shows the server's answer", async () => {
    const api = board({ body: issue({ status: "in_progress" }) });
    renderBoard("/c/co1/issues", api);
    const status = (await screen.findByRole("combobox", { name: "Status of ACM-1" })) as HTMLSelectElement;
    // Out of the tab order: Tab moves through the title links, one per row.
    expect(status.tabIndex).toBe(-1);
    expect(status.value).toBe("todo");
    fireEvent.change(status, { target: { value: "in_progress" } });
    await waitFor(() => expect(api.callsTo("PATCH /api/issues/is1")).toHaveLength(1));
    expect(api.callsTo("PATCH /api/issues/is1")[0]!.body).toEqual({ status: "in_progress" });
    await waitFor(() => expect((screen.getByRole("combobox", { name: "Status of ACM-1" }) as HTMLSelectElement).value).toBe("in_progress"));
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("sends an assignee change as PATCH {assigneeAgentId} and lists the company's agents plus Unassigned", async () => {
    const api = board({ body: issue({ assigneeAgentId: "ag1" }) });
    renderBoard("/c/co1/issues", api);
    const assignee = (await screen.findByRole("combobox", { name: "Assignee of ACM-1" })) as HTMLSelectElement;
    expect(assignee.tabIndex).toBe(-1);
    expect(
      within(assignee)
        .getAllByRole("option")
        .map((o) => o.textContent),
    ).toEqual(["Unassigned", "Script Bot", "Paused Pam"]);
    fireEvent.change(assignee, { target: { value: "ag1" } });
    await waitFor(() => expect(api.callsTo("PATCH /api/issues/is1")).toHaveLength(1));
    expect(api.callsTo("PATCH /api/issues/is1")[0]!.body).toEqual({ assigneeAgentId: "ag1" });
    await waitFor(() => expect((screen.getByRole("combobox", { name: "Assignee of ACM-1" }) as HTMLSelectElement).value).toBe("ag1"));
  });

  it("shows the server's refusal beside the cell and puts the old value back", async () => {
    const api = board({ status: 409, body: { error: "Agent Paused Pam is paused and cannot take issues", code: "agent_not_assignable" } });
    renderBoard("/c/co1/issues", api);
    const assignee = (await screen.findByRole("combobox", { name: "Assignee of ACM-1" })) as HTMLSelectElement;
    fireEvent.change(assignee, { target: { value: "ag2" } });
    expect((await screen.findByRole("alert")).textContent).toBe("Agent Paused Pam is paused and cannot take issues");
    expect(api.callsTo("PATCH /api/issues/is1")[0]!.body).toEqual({ assigneeAgentId: "ag2" });
    expect((screen.getByRole("combobox", { name: "Assignee of ACM-1" }) as HTMLSelectElement).value).toBe("");
  });

  it("shows a viewer plain text, not selects", async () => {
    const api = board({ body: issue() }, "viewer");
    renderBoard("/c/co1/issues", api);
    const table = await screen.findByRole("table");
    const row = within(table).getAllByRole("row")[1]!;
    await waitFor(() => expect(within(row).queryAllByRole("combobox")).toHaveLength(0));
    expect(within(row).getByText("Todo")).toBeTruthy();
    expect(within(row).getByText("Unassigned")).toBeTruthy();
  });
});
