// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { packageFilesOf } from "../src/pages/import-export.js";
import { fakeApi, renderBoard, type FakeRoutes } from "./helpers/board.js";

const company = { id: "co1", name: "Acme Robotics", status: "active", description: null, spentMonthlyCents: 0, budgetMonthlyCents: 0 };
const NEW_ID = "00000000-0000-4000-8000-0000000000aa";
const files = { "COMPANY.md": '---\nname: "Northwind"\n---\n', "agents/ada/AGENTS.md": "---\nname: Ada\n---\n\nLead.\n" };
const preview = {
  target: { mode: "new_company", companyId: null, companyName: "Northwind" },
  issuePrefix: "NORA",
  create: [
    { kind: "company", slug: "northwind", name: "Northwind" },
    { kind: "agent", slug: "ada", name: "Ada" },
  ],
  ignored: [{ kind: "skill", slug: "x/y", name: "y", reason: "Staple has no skills" }],
  conflicts: [{ kind: "issue_prefix", slug: "NOR", name: "NOR", reason: "Issue prefix NOR is used by another company" }],
  warnings: ["Agent ken has no command"],
};
const result = {
  company: { id: NEW_ID, name: "Northwind", issuePrefix: "NORA", action: "created" },
  agents: [{ slug: "ada", id: "00000000-0000-4000-8000-0000000000bb", name: "Ada", action: "created" }],
  projects: [],
  issues: [],
  ignored: [],
  warnings: [],
};

function routes(extra: FakeRoutes = {}): FakeRoutes {
  return {
    "GET /api/companies": { body: [company] },
    "GET /api/companies/co1/agents": { body: [] },
    "GET /api/auth/get-session": { body: { user: { id: "u" }, session: { id: null, source: "local" } } },
    "GET /api/companies/co1/approvals": { body: [] },
    "GET /api/companies/co1/export/fidelity": {
      body: { companyId: "co1", notCarried: [{ kind: "runs", count: 3, reason: "Run history stays in this instance" }] },
    },
    ...extra,
  };
}

describe("import/export page", () => {
  it("reads an export answer or a bare file map, and rejects anything else", () => {
    expect(packageFilesOf(JSON.stringify({ rootPath: "x", files }))).toEqual(files);
    expect(packageFilesOf(JSON.stringify(files))).toEqual(files);
    expect(() => packageFilesOf("[1]")).toThrow(/no package files/);
  });

  it("is in the navigation and says what a package leaves out", async () => {
    renderBoard("/c/co1/import-export", fakeApi(routes()));
    const list = await screen.findByRole("list", { name: "Not carried by a package" }, { timeout: 5000 });
    expect(within(list).getByText(/3 × runs: Run history stays in this instance/)).toBeTruthy();
    expect(screen.getByRole("link", { name: "Import/export" }).getAttribute("aria-current")).toBe("page");
  });

  it("shows the preview of a chosen package before anything is written, then applies it on request", async () => {
    const api = fakeApi(
      routes({ "POST /api/companies/import/preview": { body: preview }, "POST /api/companies/import": { body: result } }),
    );
    renderBoard("/c/co1/import-export", api);
    const input = (await screen.findByLabelText("Package file", undefined, { timeout: 5000 })) as HTMLInputElement;
    const file = new File([JSON.stringify({ rootPath: "northwind", files })], "northwind.json", { type: "application/json" });
    fireEvent.change(input, { target: { files: [file] } });
    const region = await screen.findByRole("region", { name: "Import preview" });
    expect(within(region).getByText(/Creates: 1 company, 1 agent/)).toBeTruthy();
    expect(within(within(region).getByRole("list", { name: "Conflicts" })).getByText(/Issue prefix NOR is used/)).toBeTruthy();
    expect(within(within(region).getByRole("list", { name: "Ignored" })).getByText(/Staple has no skills/)).toBeTruthy();
    expect(api.callsTo("POST /api/companies/import/preview")[0]!.body).toEqual({
      source: { type: "inline", files },
      target: { mode: "new_company" },
    });
    expect(api.callsTo("POST /api/companies/import")).toHaveLength(0);
    fireEvent.click(screen.getByRole("button", { name: "Apply import" }));
    await waitFor(() => expect(api.callsTo("POST /api/companies/import")).toHaveLength(1));
    const link = await screen.findByRole("link", { name: "Open Northwind" });
    expect(link.getAttribute("href")).toBe(`/c/${NEW_ID}`);
  });

  it("names a file that is not a package, without calling the server", async () => {
    const api = fakeApi(routes());
    renderBoard("/c/co1/import-export", api);
    const input = (await screen.findByLabelText("Package file", undefined, { timeout: 5000 })) as HTMLInputElement;
    fireEvent.change(input, { target: { files: [new File(["not json"], "notes.txt")] } });
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("notes.txt");
    expect(alert.textContent).toMatch(/JSON/);
    expect(api.callsTo("POST /api/companies/import/preview")).toHaveLength(0);
  });
});
