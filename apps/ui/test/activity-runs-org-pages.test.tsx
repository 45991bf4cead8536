// @vitest-environment jsdom
import { configure, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { fakeApi, renderBoard, type FakeRoutes } from "./helpers/board.js";

// Two shared cores: lists of 50 rows can take longer than the default second to render under load.
configure({ asyncUtilTimeout: 5000 });

const company = { id: "co1", name: "Acme Robotics", status: "active", issuePrefix: "ACM", budgetMonthlyCents: 0, spentMonthlyCents: 0 };
const MARGARET = "11111111-1111-4111-8111-111111111111";
const CTO = "22222222-2222-4222-8222-222222222222";
const ISSUE = "44444444-4444-4444-8444-444444444444";
const agents = [
  { id: MARGARET, name: "Margaret", status: "running", role: "engineer", reportsTo: CTO },
  { id: CTO, name: "CTO", status: "idle", role: "cto", reportsTo: null },
];

function routes(extra: FakeRoutes = {}): FakeRoutes {
  return {
    "GET /api/companies": { body: [company] },
    "GET /api/companies/co1/agents": { body: agents },
    "GET /api/companies/co1/approvals": { body: [] },
    ...extra,
  };
}

const activityRow = (id: string, action: string, details: Record<string, unknown>, actorId = MARGARET) => ({
  id,
  companyId: "co1",
  actorType: "agent",
  actorId,
  action,
  entityType: "issue",
  entityId: ISSUE,
  agentId: actorId,
  runId: null,
  details: { identifier: "ACM-9", ...details },
  createdAt: "2026-03-01T10:00:00.000Z",
});

describe("activity page", () => {
  it("reads as sentences, hides lease rows by default, filters by agent in the URL and pages with a cursor", async () => {
    const first = Array.from({ length: 50 }, (_, i) =>
      activityRow(`a${String(i).padStart(2, "0")}`, "issue.updated", { changes: { status: { from: "in_progress", to: "done" } } }),
    );
    const api = fakeApi(
      routes({
        "GET /api/companies/co1/activity": (url) => ({
          body: url.searchParams.get("cursor") ? [activityRow("older", "issue.comment_added", {}, CTO)] : first,
        }),
      }),
    );
    renderBoard("/c/co1/activity", api);
    expect((await screen.findAllByText(/moved/)).length).toBeGreaterThan(0);
    const item = screen.getAllByRole("listitem").find((li) => li.textContent?.includes("moved"))!;
    expect(item.textContent).toContain("Margaret moved ACM-9 from In progress to Done");
    expect(within(item).getByRole("link", { name: "ACM-9" }).getAttribute("href")).toBe(`/c/co1/issues/${ISSUE}`);
    const firstCall = api.callsTo("GET /api/companies/co1/activity")[0]!.url;
    expect(firstCall.searchParams.get("hideNoise")).toBe("true");

    fireEvent.change(screen.getByLabelText("Who"), { target: { value: MARGARET } });
    await waitFor(() =>
      expect(api.callsTo("GET /api/companies/co1/activity").some((c) => c.url.searchParams.get("agentId") === MARGARET)).toBe(true),
    );
    const csv = screen.getByRole("link", { name: "Export CSV" }).getAttribute("href")!;
    expect(csv).toContain("/api/companies/co1/activity.csv?");
    expect(csv).toContain(`agentId=${MARGARET}`);

    fireEvent.click(screen.getByLabelText("Show lease and claim rows"));
    await waitFor(() => expect(api.callsTo("GET /api/companies/co1/activity").at(-1)!.url.searchParams.get("hideNoise")).toBeNull());

    fireEvent.click(await screen.findByRole("button", { name: "Show older activity" }));
    await waitFor(() =>
      expect(screen.getAllByRole("listitem").some((li) => li.textContent?.includes("CTO commented on ACM-9"))).toBe(true),
    );
    expect(api.callsTo("GET /api/companies/co1/activity").at(-1)!.url.searchParams.get("cursor")).toBe("a49");
  });

  it("sends date filters as a UTC day range (to is inclusive on the page, exclusive on the server)", async () => {
    const api = fakeApi(routes({ "GET /api/companies/co1/activity": { body: [] } }));
    renderBoard("/c/co1/activity?from=2026-03-01&to=2026-03-31&entity=issue", api);
    expect(await screen.findByText("Nothing matches these filters.")).toBeTruthy();
    const url = api.callsTo("GET /api/companies/co1/activity")[0]!.url;
    expect(url.searchParams.get("from")).toBe("2026-03-01");
    expect(url.searchParams.get("to")).toBe("2026-04-01");
    expect(url.searchParams.get("entityType")).toBe("issue");
  });
});

const run = (i: number, extra: Record<string, unknown> = {}) => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
  companyId: "co1",
  agentId: MARGARET,
  invocationSource: "assignment",
  triggerDetail: "system",
  status: "succeeded",
  startedAt: "2026-03-01T10:00:00.000Z",
  finishedAt: "2026-03-01T10:01:30.000Z",
  createdAt: "2026-03-01T10:00:00.000Z",
  contextSnapshot: { wakeReason: "issue_assigned" },
  issueId: ISSUE,
  issueIdentifier: "ACM-9",
  issueTitle: "Ship the runs list",
  costCents: 22,
  ...extra,
});

describe("runs page", () => {
  it("shows issue, reason, duration and cost; filters by status; pages past the first 50 with a cursor", async () => {
    const api = fakeApi(
      routes({
        "GET /api/companies/co1/heartbeat-runs": (url) => ({
          body: url.searchParams.get("cursor")
            ? [run(99, { issueIdentifier: "ACM-2", issueTitle: "Older work" })]
            : Array.from({ length: 51 }, (_, i) => run(i)),
        }),
      }),
    );
    renderBoard("/c/co1/runs", api);
    const table = await screen.findByRole("table");
    const firstRow = within(table).getAllByRole("row")[1]!;
    expect(within(firstRow).getByRole("link", { name: /ACM-9 Ship the runs list/ })).toBeTruthy();
    expect(firstRow.textContent).toContain("Issue assigned");
    expect(firstRow.textContent).toContain("$0.22");
    expect(firstRow.textContent).toContain("Margaret");
    expect(within(table).getAllByRole("row")).toHaveLength(51); // header + 50

    fireEvent.change(screen.getByLabelText("Status"), { target: { value: "failed" } });
    await waitFor(() => expect(api.callsTo("GET /api/companies/co1/heartbeat-runs").at(-1)!.url.searchParams.get("status")).toBe("failed"));

    fireEvent.click(await screen.findByRole("button", { name: "Next page" }));
    expect(await screen.findByRole("link", { name: /ACM-2 Older work/ })).toBeTruthy();
    const last = api.callsTo("GET /api/companies/co1/heartbeat-runs").at(-1)!.url;
    expect(last.searchParams.get("cursor")).toBe(run(49).id);
    expect(last.searchParams.get("status")).toBe("failed");
  });

  it("sends the issue filter and shows the server's 400 for an unknown issue", async () => {
    const api = fakeApi(
      routes({
        "GET /api/companies/co1/heartbeat-runs": (url) =>
          url.searchParams.get("issueId") === "ACM-404"
            ? { status: 400, body: { error: "Unknown issue: ACM-404", code: "validation_error" } }
            : { body: [run(1)] },
      }),
    );
    renderBoard("/c/co1/runs", api);
    await screen.findByRole("table");
    fireEvent.change(screen.getByLabelText("Issue"), { target: { value: "ACM-404" } });
    fireEvent.click(screen.getByRole("button", { name: "Apply" }));
    expect(await screen.findByText(/Unknown issue: ACM-404/)).toBeTruthy();
  });
});

describe("org chart", () => {
  it("draws managers above reports with a status dot, role label and each agent's current issue", async () => {
    const api = fakeApi(
      routes({
        "GET /api/companies/co1/org": {
          body: [
            {
              id: CTO,
              name: "CTO",
              role: "cto",
              title: null,
              status: "idle",
              icon: null,
              reportsTo: null,
              reports: [
                {
                  id: MARGARET,
                  name: "Margaret",
                  role: "engineer",
                  title: "Backend",
                  status: "running",
                  icon: null,
                  reportsTo: CTO,
                  reports: [],
                },
              ],
            },
          ],
        },
        "GET /api/companies/co1/live-runs": {
          body: [{ ...run(5, { status: "running", finishedAt: null }), contextSnapshot: { issueId: ISSUE }, agentName: "Margaret" }],
        },
        "GET /api/companies/co1/issues": { body: [] },
      }),
    );
    renderBoard("/c/co1/org", api);
    const tree = await screen.findByRole("tree", { name: "Reporting tree" });
    const cto = within(tree).getAllByRole("treeitem")[0]!;
    expect(within(cto).getByText("CTO", { selector: ".org-role" })).toBeTruthy();
    const margaret = within(within(cto).getByRole("group", { name: "Reports of CTO" })).getAllByRole("treeitem")[0]!;
    expect(margaret.textContent).toContain("Engineer · Backend");
    expect(within(margaret).getByRole("img", { name: "Running" })).toBeTruthy();
    const link = await within(margaret).findByRole("link", { name: /ACM-9 Ship the runs list/ });
    expect(link.getAttribute("href")).toBe("/c/co1/issues/ACM-9");
    expect(cto.querySelector(":scope > .org-node")!.textContent).toContain("No current issue");
  });
});

const project = {
  id: "p1",
  companyId: "co1",
  goalId: null,
  name: "Website",
  description: null,
  status: "in_progress",
  leadAgentId: CTO,
  targetDate: null,
  color: null,
  env: null,
  executionWorkspacePolicy: null,
  pausedAt: null,
  archivedAt: null,
  createdAt: "2026-03-01T10:00:00.000Z",
  updatedAt: "2026-03-01T10:00:00.000Z",
  workspaces: [],
};
const issue = (n: number, status: string, extra: Record<string, unknown> = {}) => ({
  id: `i${n}`,
  identifier: `ACM-${n}`,
  title: `Issue ${n}`,
  status,
  priority: "medium",
  assigneeAgentId: null,
  projectId: "p1",
  goalId: null,
  labels: [],
  labelIds: [],
  ...extra,
});

describe("projects and goals", () => {
  it("lists projects with lead and progress, and a create form shows the server's 400 under the field", async () => {
    const api = fakeApi(
      routes({
        "GET /api/companies/co1/projects": { body: [project] },
        "GET /api/companies/co1/goals": { body: [] },
        "GET /api/companies/co1/issues": { body: [issue(1, "done"), issue(2, "todo"), issue(3, "cancelled")] },
        "POST /api/companies/co1/projects": {
          status: 400,
          body: {
            error: "Validation failed",
            code: "validation_error",
            details: [{ path: ["name"], message: "Too small: expected string to have >=1 characters" }],
          },
        },
      }),
    );
    renderBoard("/c/co1/projects", api);
    const row = (await screen.findByRole("link", { name: "Website" })).closest("tr")!;
    expect(row.textContent).toContain("1 of 2 done");
    expect(row.textContent).toContain("CTO");
    expect(screen.getByRole("link", { name: "Projects" }).getAttribute("aria-current")).toBe("page");

    fireEvent.click(screen.getByRole("button", { name: "New project" }));
    const form = screen.getByRole("form", { name: "New project" });
    fireEvent.click(within(form).getByRole("button", { name: "Create project" }));
    expect(await within(form).findByText(/expected string to have >=1 characters/)).toBeTruthy();
    expect(within(form).getByLabelText("Name").getAttribute("aria-invalid")).toBe("true");
    expect(api.callsTo("POST /api/companies/co1/projects")[0]!.body).toMatchObject({ name: "", status: "planned", leadAgentId: null });
  });

  it("a goal's page lists its issues with progress and edits send a PATCH", async () => {
    const goal = {
      id: "g1",
      companyId: "co1",
      title: "Grow revenue",
      description: null,
      level: "company",
      status: "active",
      parentId: null,
      ownerAgentId: CTO,
      createdAt: "2026-03-01T10:00:00.000Z",
      updatedAt: "2026-03-01T10:00:00.000Z",
    };
    const api = fakeApi(
      routes({
        "GET /api/goals/g1": { body: goal },
        "GET /api/companies/co1/goals": { body: [goal] },
        "GET /api/companies/co1/issues": (url) => ({
          body:
            url.searchParams.get("goalId") === "g1" ? [issue(7, "done", { goalId: "g1" }), issue(8, "in_progress", { goalId: "g1" })] : [],
        }),
        "PATCH /api/goals/g1": { body: { ...goal, status: "achieved" } },
      }),
    );
    renderBoard("/c/co1/goals/g1", api);
    expect(await screen.findByRole("heading", { level: 1, name: "Grow revenue" })).toBeTruthy();
    expect(await screen.findByRole("link", { name: /ACM-7 Issue 7/ })).toBeTruthy();
    expect(screen.getByText("1 of 2 done")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Edit" }));
    const form = screen.getByRole("form", { name: "Edit goal" });
    fireEvent.change(within(form).getByLabelText("Status"), { target: { value: "achieved" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save goal" }));
    await waitFor(() => expect(api.callsTo("PATCH /api/goals/g1")[0]?.body).toMatchObject({ status: "achieved", ownerAgentId: CTO }));
  });
});
