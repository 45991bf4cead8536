// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@staple/api-client";
import { fakeApi, renderBoard, type FakeRoutes } from "./helpers/board.js";

type Secret = Schemas["CompanySecret"];
const company = { id: "co1", name: "Acme Robotics", status: "active", description: null, spentMonthlyCents: 0, budgetMonthlyCents: 0 };
const agents = [
  { id: "ag1", name: "Script Bot", status: "idle" },
  { id: "ag2", name: "Deployer", status: "idle" },
];
const SECRET_ID = "00000000-0000-4000-8000-000000000001";
const VALUE = "typed-secret-VALUE-42";

function secret(fields: Partial<Secret> = {}): Secret {
  return {
    id: SECRET_ID,
    companyId: "co1",
    key: "GITHUB_TOKEN",
    name: "GitHub token",
    description: null,
    provider: "local_encrypted",
    latestVersion: 1,
    valueMask: "********",
    fingerprint: "hmac-sha256:0123456789abcdef",
    grantedAgentIds: ["ag1"],
    createdAt: "2026-12-01T00:00:00.000Z",
    updatedAt: "2026-12-01T00:00:00.000Z",
    rotatedAt: null,
    ...fields,
  };
}

function routes(extra: FakeRoutes = {}): FakeRoutes {
  return {
    "GET /api/companies": { body: [company] },
    "GET /api/companies/co1/agents": { body: agents },
    "GET /api/auth/get-session": { body: { user: { id: "u" }, session: { id: null, source: "local" } } },
    "GET /api/companies/co1/approvals": { body: [] },
    "GET /api/companies/co1/secrets": { body: [secret()] },
    ...extra,
  };
}

describe("secrets page", () => {
  it("is in the navigation and lists each secret with its mask, version, fingerprint and grantees", async () => {
    renderBoard("/c/co1/secrets", fakeApi(routes()));
    const table = await screen.findByRole("table", { name: "Secrets" });
    const row = within(table).getByText("GITHUB_TOKEN").closest("tr")!;
    expect(within(row).getByText("********").tagName).toBe("CODE");
    expect(within(row).getByText("v1")).toBeTruthy();
    expect(within(row).getByText("hmac-sha256:0123456789abcdef")).toBeTruthy();
    expect(within(within(row).getByRole("list", { name: "Agents granted GITHUB_TOKEN" })).getByText(/Script Bot/)).toBeTruthy();
    expect(screen.getByRole("link", { name: "Secrets" }).getAttribute("aria-current")).toBe("page");
  });

  it("creates a secret with a grant, then forgets the typed value; the page never shows it", async () => {
    const created = secret({ id: "00000000-0000-4000-8000-000000000002", key: "DEPLOY", name: "DEPLOY", grantedAgentIds: ["ag2"] });
    const api = fakeApi(routes({ "POST /api/companies/co1/secrets": { status: 201, body: created } }));
    renderBoard("/c/co1/secrets", api);
    const form = await screen.findByRole("form", { name: "New secret" });
    fireEvent.change(within(form).getByLabelText("Name"), { target: { value: "DEPLOY" } });
    const value = within(form).getByLabelText("Value") as HTMLInputElement;
    expect(value.type).toBe("password");
    fireEvent.change(value, { target: { value: VALUE } });
    await within(form).findByRole("option", { name: "Deployer" }); // the company's agents are loaded
    fireEvent.change(within(form).getByLabelText("Grant to agent"), { target: { value: "ag2" } });
    fireEvent.click(within(form).getByRole("button", { name: "Create secret" }));
    await waitFor(() => expect(api.callsTo("POST /api/companies/co1/secrets")).toHaveLength(1));
    expect(api.callsTo("POST /api/companies/co1/secrets")[0]!.body).toEqual({ name: "DEPLOY", value: VALUE, agentIds: ["ag2"] });
    expect(await screen.findByText(/Created DEPLOY \(hmac-sha256:/)).toBeTruthy();
    await waitFor(() => expect(value.value).toBe(""));
    expect(document.body.innerHTML).not.toContain(VALUE);
    // The list is read again after the write.
    await waitFor(() => expect(api.callsTo("GET /api/companies/co1/secrets").length).toBeGreaterThan(1));
  });

  it("rotates with a new value, grants to another agent and revokes, each through its route", async () => {
    const api = fakeApi(
      routes({
        [`POST /api/secrets/${SECRET_ID}/rotate`]: { body: secret({ latestVersion: 2 }) },
        [`POST /api/secrets/${SECRET_ID}/grants`]: { body: secret({ grantedAgentIds: ["ag1", "ag2"] }) },
        [`DELETE /api/secrets/${SECRET_ID}/grants/ag1`]: { body: secret({ grantedAgentIds: [] }) },
      }),
    );
    renderBoard("/c/co1/secrets", api);
    fireEvent.click(await screen.findByRole("button", { name: "Rotate GITHUB_TOKEN" }));
    const next = screen.getByLabelText("New value of GITHUB_TOKEN") as HTMLInputElement;
    expect(next.type).toBe("password");
    fireEvent.change(next, { target: { value: `${VALUE}-2` } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(api.callsTo(`POST /api/secrets/${SECRET_ID}/rotate`).map((c) => c.body)).toEqual([{ value: `${VALUE}-2` }]));

    fireEvent.change(screen.getByLabelText("Grant GITHUB_TOKEN to an agent"), { target: { value: "ag2" } });
    await waitFor(() => expect(api.callsTo(`POST /api/secrets/${SECRET_ID}/grants`).map((c) => c.body)).toEqual([{ agentId: "ag2" }]));
    fireEvent.click(screen.getByRole("button", { name: "Revoke GITHUB_TOKEN from Script Bot" }));
    await waitFor(() => expect(api.callsTo(`DELETE /api/secrets/${SECRET_ID}/grants/ag1`)).toHaveLength(1));
    expect(document.body.innerHTML).not.toContain(VALUE);
  });
});

describe("agent form and secret references", () => {
  it("an API key given as a secret_ref is kept when the form is saved untouched, and still validates", async () => {
    const { adapterConfigIssues, buildAdapterConfig, EMPTY_ADAPTER_VALUES, valuesFromConfig } = await import(
      "../src/lib/adapter-config.js"
    );
    const ref = { type: "secret_ref", secretId: SECRET_ID };
    const loaded = { command: "claude", env: { ANTHROPIC_API_KEY: ref } };
    const values = { ...EMPTY_ADAPTER_VALUES, adapterType: "claude_local", ...valuesFromConfig("claude_local", loaded) };
    expect(values.apiKey).toBe("");
    const kept = buildAdapterConfig("claude_local", values);
    expect(kept).toEqual(loaded);
    expect(adapterConfigIssues("claude_local", kept)).toEqual([]);
  });
});
