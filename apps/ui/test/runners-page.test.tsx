// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@staple/api-client";
import { runnerCommand } from "../src/pages/runners.js";
import { fakeApi, renderBoard, type FakeRoutes } from "./helpers/board.js";

type Token = Schemas["RunnerToken"];
type Runner = Schemas["ListedRunner"];
const company = { id: "co1", name: "Acme Robotics", status: "active", description: null, spentMonthlyCents: 0, budgetMonthlyCents: 0 };
const TOKEN_ID = "00000000-0000-4000-8000-0000000000b1";
const TOKEN = `strn_${"cd".repeat(24)}`;

function token(fields: Partial<Token> = {}): Token {
  return {
    id: TOKEN_ID,
    companyId: "co1",
    name: "gpu box",
    tokenPrefix: "strn_cdcd",
    createdByUserId: null,
    createdAt: "2026-12-01T00:00:00.000Z",
    lastUsedAt: null,
    revokedAt: null,
    ...fields,
  };
}

function runner(fields: Partial<Runner> = {}): Runner {
  return {
    id: "00000000-0000-4000-8000-0000000000c1",
    tokenId: TOKEN_ID,
    companyId: "co1",
    name: "gpu-1",
    hostname: "gpu-1.lan",
    labels: ["gpu", "cuda-12"],
    adapterTypes: ["process", "claude_local"],
    status: "online",
    version: null,
    registeredAt: "2026-12-01T00:00:00.000Z",
    lastSeenAt: new Date().toISOString(),
    runningRuns: 2,
    ...fields,
  };
}

function routes(extra: FakeRoutes = {}): FakeRoutes {
  return {
    "GET /api/companies": { body: [company] },
    "GET /api/companies/co1/agents": { body: [] },
    "GET /api/companies/co1/approvals": { body: [] },
    "GET /api/companies/co1/runner-tokens": { body: [] },
    "GET /api/companies/co1/runners": { body: [] },
    ...extra,
  };
}

describe("runners page", () => {
  it("is in the navigation and lists registered runners with host, labels, adapters, status and running runs", async () => {
    const api = fakeApi(
      routes({
        "GET /api/companies/co1/runners": {
          body: [
            runner(),
            runner({ id: "00000000-0000-4000-8000-0000000000c2", name: "mac-1", status: "draining", runningRuns: 1, labels: [] }),
          ],
        },
      }),
    );
    renderBoard("/c/co1/runners", api);
    const table = await screen.findByRole("table", { name: "Registered runners" });
    const gpu = within(table).getByText("gpu-1").closest("tr")!;
    expect(within(gpu).getByText("gpu-1.lan")).toBeTruthy();
    expect(within(gpu).getByText("gpu, cuda-12")).toBeTruthy();
    expect(within(gpu).getByText("process, claude_local")).toBeTruthy();
    expect(within(gpu).getByText("Online")).toBeTruthy();
    expect(within(gpu).getByText("2 runs")).toBeTruthy();
    const mac = within(table).getByText("mac-1").closest("tr")!;
    expect(within(mac).getByText("Draining")).toBeTruthy();
    expect(within(mac).getByText("no labels")).toBeTruthy();
    expect(within(mac).getByText("1 run")).toBeTruthy();
    expect(screen.getByRole("link", { name: "Runners" }).getAttribute("aria-current")).toBe("page");
    // How to start one: the command names this server.
    expect(screen.getByTestId("runner-command").textContent).toBe(runnerCommand(window.location.origin, null));
    expect(screen.getByTestId("runner-command").textContent).toContain(`--api ${window.location.origin}`);
  });

  it("creating a token shows it once with a copy button and puts it in the start command; Done forgets it", async () => {
    let listed: Token[] = [];
    const api = fakeApi(
      routes({
        "GET /api/companies/co1/runner-tokens": () => ({ body: listed }),
        "POST /api/companies/co1/runner-tokens": () => {
          listed = [token()];
          return { status: 201, body: { ...listed[0], token: TOKEN } };
        },
      }),
    );
    renderBoard("/c/co1/runners", api);
    await screen.findByText("No runner tokens yet.");
    await screen.findByText("No runner has registered yet.");
    const form = screen.getByRole("form", { name: "New runner token" });
    fireEvent.change(within(form).getByLabelText("Token name"), { target: { value: " gpu box " } });
    fireEvent.click(within(form).getByRole("button", { name: "Create token" }));
    const box = await screen.findByRole("status", { name: "New runner token" });
    expect(within(box).getByTestId("new-runner-token").textContent).toBe(TOKEN);
    expect(within(box).getByText(/you will not see it again/)).toBeTruthy();
    expect(within(box).getByRole("button", { name: "Copy" })).toBeTruthy();
    expect(api.callsTo("POST /api/companies/co1/runner-tokens").map((c) => c.body)).toEqual([{ name: "gpu box" }]);
    expect(screen.getByTestId("runner-command").textContent).toContain(`--token ${TOKEN}`);
    const table = await screen.findByRole("table", { name: "Runner tokens" });
    expect(within(table).getByText("gpu box")).toBeTruthy();
    expect(table.innerHTML).not.toContain(TOKEN);
    fireEvent.click(within(box).getByRole("button", { name: "Done" }));
    await waitFor(() => expect(document.body.innerHTML).not.toContain(TOKEN));
    expect(screen.getByTestId("runner-command").textContent).toContain("--token <runner token>");
  });

  it("revoke asks first, then sends DELETE for that token", async () => {
    HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
      this.setAttribute("open", "");
    };
    HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
      this.removeAttribute("open");
    };
    const api = fakeApi(
      routes({
        "GET /api/companies/co1/runner-tokens": { body: [token()] },
        [`DELETE /api/runner-tokens/${TOKEN_ID}`]: { body: token({ revokedAt: "2026-12-02T00:00:00.000Z" }) },
      }),
    );
    renderBoard("/c/co1/runners", api);
    fireEvent.click(await screen.findByRole("button", { name: "Revoke token gpu box" }));
    const dialog = await screen.findByRole("dialog", { name: "Revoke this runner token?" });
    expect(api.callsTo(`DELETE /api/runner-tokens/${TOKEN_ID}`)).toHaveLength(0);
    fireEvent.click(within(dialog).getByRole("button", { name: "Revoke token" }));
    await waitFor(() => expect(api.callsTo(`DELETE /api/runner-tokens/${TOKEN_ID}`)).toHaveLength(1));
  });
});
