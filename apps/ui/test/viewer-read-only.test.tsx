// @vitest-environment jsdom
import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { fakeApi, renderBoard } from "./helpers/board.js";

const company = {
  id: "co1",
  name: "Viewer Lab",
  issuePrefix: "ACM",
  status: "active",
  description: null,
  spentMonthlyCents: 0,
  budgetMonthlyCents: 0,
};
const issue = {
  id: "is1",
  companyId: "co1",
  identifier: "ACM-1",
  issueNumber: 1,
  title: "Read me",
  description: "Only to read.",
  status: "todo",
  priority: "medium",
  assigneeAgentId: null,
  projectId: null,
  goalId: null,
  parentId: null,
  labels: [],
  labelIds: [],
  ancestors: [],
  children: [],
  blockedBy: [],
  blocks: [],
  createdAt: "2026-12-01T00:00:00.000Z",
  updatedAt: "2026-12-01T00:00:00.000Z",
};
const me = (role: string) => ({
  user: { id: "u1", email: "v@example.test", name: "Victor", isInstanceAdmin: false },
  memberships: [{ companyId: "co1", companyName: "Viewer Lab", role }],
  source: "session",
});
const routes = (role: string) =>
  fakeApi({
    "GET /api/companies": { body: [company] },
    "GET /api/companies/co1/agents": { body: [{ id: "ag1", name: "Script Bot", status: "idle", role: "engineer" }] },
    "GET /api/companies/co1/approvals": { body: [] },
    "GET /api/companies/co1/labels": { body: [] },
    "GET /api/companies/co1/projects": { body: [] },
    "GET /api/companies/co1/goals": { body: [] },
    "GET /api/auth/get-session": { body: { user: { id: "u1" }, session: { id: "s1", source: "session" } } },
    "GET /api/auth/me": { body: me(role) },
    "GET /api/issues/ACM-1": { body: issue },
    "GET /api/issues/is1/comments": { body: [] },
    "GET /api/issues/is1/interactions": { body: [] },
    "GET /api/issues/is1/runs": { body: [] },
    "GET /api/issues/is1/activity": { body: [] },
    "GET /api/issues/is1/documents": { body: [] },
    "GET /api/issues/is1/attachments": { body: [] },
  });

/** Buttons, fields and selects a person could use on the page's content (the shell's search and menu aside). */
function enabledControls(): string[] {
  const page = document.querySelector("article.issue-page")!;
  return [
    ...page.querySelectorAll<HTMLButtonElement | HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(
      "button, input, select, textarea",
    ),
  ]
    .filter((el) => !el.matches(":disabled"))
    .map((el) => `${el.tagName.toLowerCase()}: ${el.textContent?.trim() || el.getAttribute("aria-label") || el.id}`);
}

describe("a viewer on the issue page", () => {
  it("finds every write control disabled and is told why", async () => {
    renderBoard("/c/co1/issues/ACM-1", routes("viewer"));
    await screen.findByRole("heading", { level: 1, name: /ACM-1 Read me/ }, { timeout: 8000 });
    await screen.findByText(/You are a viewer in this company/, undefined, { timeout: 5000 });
    expect(screen.getByRole("button", { name: "Post comment" }).matches(":disabled")).toBe(true);
    expect(enabledControls()).toEqual([]);
  });

  it("a member of the same company gets the controls enabled", async () => {
    renderBoard("/c/co1/issues/ACM-1", routes("member"));
    await screen.findByRole("heading", { level: 1, name: /ACM-1 Read me/ }, { timeout: 8000 });
    const edit = await screen.findByRole("button", { name: "Edit" }, { timeout: 5000 });
    expect(edit.matches(":disabled")).toBe(false);
    expect(screen.queryByText(/You are a viewer/)).toBeNull();
    expect(enabledControls().length).toBeGreaterThan(3);
  });
});
