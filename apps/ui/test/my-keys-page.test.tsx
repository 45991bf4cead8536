// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@staple/api-client";
import { fakeApi, renderBoard, type FakeRoutes } from "./helpers/board.js";

type Key = Schemas["BoardApiKey"];
const company = { id: "co1", name: "Acme Robotics", status: "active", description: null, spentMonthlyCents: 0, budgetMonthlyCents: 0 };
const KEY_ID = "00000000-0000-4000-8000-0000000000a1";
const TOKEN = `stb_${"ab".repeat(24)}`;

function key(fields: Partial<Key> = {}): Key {
  return {
    id: KEY_ID,
    userId: "u1",
    name: "laptop CLI",
    createdAt: "2026-12-01T00:00:00.000Z",
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    ...fields,
  };
}

function routes(extra: FakeRoutes = {}): FakeRoutes {
  return {
    "GET /api/companies": { body: [company] },
    "GET /api/companies/co1/agents": { body: [] },
    "GET /api/auth/get-session": { body: { user: { id: "u1" }, session: { id: "s1", source: "session" } } },
    "GET /api/companies/co1/approvals": { body: [] },
    ...extra,
  };
}

describe("my keys page", () => {
  it("is in the navigation and lists my keys with name, created and last used", async () => {
    const api = fakeApi(routes({ "GET /api/board-api-keys": { body: [key({ lastUsedAt: new Date().toISOString() })] } }));
    renderBoard("/c/co1/my-keys", api);
    const table = await screen.findByRole("table", { name: "My board API keys" });
    const row = within(table).getByText("laptop CLI").closest("tr")!;
    expect(within(row).queryByText("never")).toBeNull();
    expect(screen.getByRole("link", { name: "My keys" }).getAttribute("aria-current")).toBe("page");
  });

  it("creating a key shows its token once, with a copy button; Done forgets it and the list never shows it", async () => {
    let listed: Key[] = [];
    const api = fakeApi(
      routes({
        "GET /api/board-api-keys": () => ({ body: listed }),
        "POST /api/board-api-keys": () => {
          listed = [key({ name: "deploy script" })];
          return { status: 201, body: { ...listed[0], token: TOKEN } };
        },
      }),
    );
    renderBoard("/c/co1/my-keys", api);
    await screen.findByText("No keys yet.");
    const form = screen.getByRole("form", { name: "New board API key" });
    fireEvent.change(within(form).getByLabelText("Key name"), { target: { value: "  deploy script " } });
    fireEvent.click(within(form).getByRole("button", { name: "Create key" }));
    const box = await screen.findByRole("status", { name: "New board API key" });
    expect(within(box).getByTestId("new-board-key").textContent).toBe(TOKEN);
    expect(within(box).getByText(/you will not see it again/)).toBeTruthy();
    expect(within(box).getByRole("button", { name: "Copy" })).toBeTruthy();
    expect(api.callsTo("POST /api/board-api-keys").map((c) => c.body)).toEqual([{ name: "deploy script" }]);
    // The list is read again and shows the key by name only.
    const table = await screen.findByRole("table", { name: "My board API keys" });
    expect(within(table).getByText("deploy script")).toBeTruthy();
    expect(table.innerHTML).not.toContain(TOKEN);
    fireEvent.click(within(box).getByRole("button", { name: "Done" }));
    await waitFor(() => expect(document.body.innerHTML).not.toContain(TOKEN));
  });

  it("revoke asks first, then sends DELETE for that key", async () => {
    // jsdom has no modal dialogs; the dialog renders its buttons either way.
    HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
      this.setAttribute("open", "");
    };
    HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
      this.removeAttribute("open");
    };
    const api = fakeApi(
      routes({
        "GET /api/board-api-keys": { body: [key()] },
        [`DELETE /api/board-api-keys/${KEY_ID}`]: { body: key({ revokedAt: "2026-12-02T00:00:00.000Z" }) },
      }),
    );
    renderBoard("/c/co1/my-keys", api);
    fireEvent.click(await screen.findByRole("button", { name: "Revoke key laptop CLI" }));
    const dialog = await screen.findByRole("dialog", { name: "Revoke this key?" });
    expect(api.callsTo(`DELETE /api/board-api-keys/${KEY_ID}`)).toHaveLength(0);
    fireEvent.click(within(dialog).getByRole("button", { name: "Revoke key" }));
    await waitFor(() => expect(api.callsTo(`DELETE /api/board-api-keys/${KEY_ID}`)).toHaveLength(1));
  });
});
