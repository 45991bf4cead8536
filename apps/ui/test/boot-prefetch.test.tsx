// @vitest-environment jsdom
import { render, screen, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import { Board } from "../src/app.js";
import { prefetchForLocation } from "../src/lib/boot-prefetch.js";
import { createQueryClient } from "../src/lib/query-client.js";
import { fakeApi } from "./helpers/board.js";

/**
 * The boot prefetch starts a landing page's requests before the first render, under the keys the
 * page itself uses: the page then asks for nothing twice.
 */

const company = { id: "co1", name: "Acme Robotics", status: "active", description: null, spentMonthlyCents: 0, budgetMonthlyCents: 0 };
const agent = { id: "ag1", name: "Script Bot", status: "idle" };
const issue = {
  id: "is1",
  identifier: "ACM-1",
  title: "Fix the login",
  status: "todo",
  priority: "high",
  assigneeAgentId: "ag1",
  updatedAt: new Date().toISOString(),
};

function api() {
  return fakeApi({
    "GET /api/companies": { body: [company] },
    "GET /api/companies/co1/agents": { body: [agent] },
    "GET /api/auth/get-session": { body: { user: { id: "u" }, session: { id: "s", source: "session" } } },
    "GET /api/companies/co1/issues": { body: [issue] },
    "GET /api/companies/co1/labels": { body: [] },
    "GET /api/companies/co1/projects": { body: [] },
    "GET /api/companies/co1/dashboard": { body: {} },
  });
}

describe("boot prefetch", () => {
  it("asks for an issues page's data before rendering, with the page's own filters, and the page asks nothing twice", async () => {
    const fake = api();
    const queryClient = createQueryClient();
    const location = { pathname: "/c/co1/issues", search: "?assignee=ag1&status=all" };
    prefetchForLocation(queryClient, fake.client, location);
    // Before any component exists, the list, the shell's and the page's catalogues are in flight.
    await new Promise((r) => setTimeout(r, 0));
    const early = fake.requests.map((u) => u.pathname);
    expect(early).toEqual(
      expect.arrayContaining([
        "/api/companies",
        "/api/companies/co1/agents",
        "/api/companies/co1/issues",
        "/api/companies/co1/labels",
        "/api/companies/co1/projects",
      ]),
    );
    const list = fake.requests.find((u) => u.pathname === "/api/companies/co1/issues")!;
    expect(list.searchParams.get("assigneeAgentId")).toBe("ag1");
    expect(list.searchParams.get("status")).toBeNull(); // status=all: every status

    render(
      <MemoryRouter initialEntries={[location.pathname + location.search]}>
        <Board queryClient={queryClient} client={fake.client} />
      </MemoryRouter>,
    );
    const table = await screen.findByRole("table");
    expect(within(table).getByText("Fix the login")).toBeTruthy();
    const count = (path: string) => fake.requests.filter((u) => u.pathname === path).length;
    for (const path of [
      "/api/companies",
      "/api/companies/co1/agents",
      "/api/companies/co1/issues",
      "/api/companies/co1/labels",
      "/api/companies/co1/projects",
    ])
      expect(count(path), path).toBe(1);
  });

  it("asks only for the company list outside a company, and the dashboard's data on a company's home", async () => {
    const outside = api();
    prefetchForLocation(createQueryClient(), outside.client, { pathname: "/onboarding", search: "" });
    const home = api();
    prefetchForLocation(createQueryClient(), home.client, { pathname: "/c/co1", search: "" });
    await new Promise((r) => setTimeout(r, 0));
    expect(outside.requests.map((u) => u.pathname)).toEqual(["/api/companies"]);
    expect(home.requests.map((u) => u.pathname).sort()).toEqual([
      "/api/companies",
      "/api/companies/co1/agents",
      "/api/companies/co1/dashboard",
    ]);
  });
});
