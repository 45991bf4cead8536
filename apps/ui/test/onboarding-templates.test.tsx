// @vitest-environment jsdom
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { fakeApi, renderBoard } from "./helpers/board.js";

const NEW_ID = "00000000-0000-4000-8000-0000000000cc";
const created = { id: NEW_ID, name: "Acme Software", status: "active", description: null, spentMonthlyCents: 0, budgetMonthlyCents: 0 };

describe("onboarding: start from a template", () => {
  it("lists the templates and creates the company from the chosen one, named as typed, then opens it", async () => {
    let companies: unknown[] = [];
    const api = fakeApi({
      "GET /api/companies": () => ({ body: companies }),
      "GET /api/auth/get-session": { body: { user: { id: "u" }, session: { id: null, source: "local" } } },
      "GET /api/company-templates": {
        body: [
          { name: "small-software-team", title: "Small Software Team", description: "A CEO, a CTO and two engineers", agents: 4 },
          { name: "solo-founder", title: "Solo Founder", description: "One coding agent", agents: 1 },
        ],
      },
      "POST /api/companies/from-template": () => {
        companies = [created];
        return {
          status: 201,
          body: {
            company: { id: NEW_ID, name: "Acme Software", issuePrefix: "ACM", action: "created" },
            agents: [],
            projects: [],
            issues: [],
            ignored: [],
            warnings: [],
          },
        };
      },
      [`GET /api/companies/${NEW_ID}/agents`]: { body: [] },
      [`GET /api/companies/${NEW_ID}/approvals`]: { body: [] },
    });
    renderBoard("/onboarding", api);
    const button = await screen.findByRole("button", { name: "Start with Small Software Team" }, { timeout: 5000 });
    expect(screen.getByText(/A CEO, a CTO and two engineers \(4 agents\)/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Company name"), { target: { value: "Acme Software" } });
    fireEvent.click(button);
    await waitFor(() => expect(api.callsTo("POST /api/companies/from-template")).toHaveLength(1));
    expect(api.callsTo("POST /api/companies/from-template")[0]!.body).toEqual({ template: "small-software-team", name: "Acme Software" });
    await waitFor(() =>
      expect(window.location.pathname === `/c/${NEW_ID}` || document.body.textContent?.includes("Acme Software")).toBe(true),
    );
    expect(api.callsTo("POST /api/companies")).toHaveLength(0);
  });
});
