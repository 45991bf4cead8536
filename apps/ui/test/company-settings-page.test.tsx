// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { fakeApi, renderBoard, type FakeRoutes } from "./helpers/board.js";

const company = {
  id: "co1",
  name: "Acme Robotics",
  status: "active",
  description: "Builds robots",
  brandColor: "#1a2b3c",
  budgetMonthlyCents: 25_000,
  spentMonthlyCents: 0,
  requireBoardApprovalForNewAgents: true,
};
const breakers = { loopBreaker: { enabled: true, maxWakes: 10, windowMinutes: 60 }, quotaBreaker: { enabled: true } };

function routes(extra: FakeRoutes = {}): FakeRoutes {
  return {
    "GET /api/companies": { body: [company] },
    "GET /api/companies/co1/agents": { body: [] },
    "GET /api/companies/co1/approvals": { body: [] },
    "GET /api/companies/co1/wake-breakers": { body: breakers },
    ...extra,
  };
}

const companyForm = () => screen.findByRole("form", { name: "Company settings" });
const breakerForm = () => screen.findByRole("form", { name: "Wake breaker settings" });
const value = (form: HTMLElement, label: string) => (within(form).getByLabelText(label) as HTMLInputElement).value;

describe("company settings page", () => {
  it("is in the navigation and shows the company's and the wake breakers' current values", async () => {
    renderBoard("/c/co1/settings", fakeApi(routes()));
    const form = await companyForm();
    expect(value(form, "Name")).toBe("Acme Robotics");
    expect(value(form, "Description")).toBe("Builds robots");
    expect(value(form, "Brand colour")).toBe("#1a2b3c");
    expect(value(form, "Monthly budget in USD")).toBe("250");
    expect((within(form).getByLabelText("Require board approval for new agents") as HTMLInputElement).checked).toBe(true);
    const wake = await breakerForm();
    expect(value(wake, "Wakes on one issue")).toBe("10");
    expect(value(wake, "Within minutes")).toBe("60");
    expect((within(wake).getByLabelText("Quota breaker on") as HTMLInputElement).checked).toBe(true);
    expect(screen.getByRole("link", { name: "Settings" }).getAttribute("aria-current")).toBe("page");
  });

  it("Save sends only the changed fields, shows success and refreshes the company name in the shell", async () => {
    let current = company;
    const api = fakeApi(
      routes({
        "GET /api/companies": () => ({ body: [current] }),
        "PATCH /api/companies/co1": () => {
          current = { ...company, name: "Acme Labs", budgetMonthlyCents: 9_950 };
          return { body: current };
        },
      }),
    );
    renderBoard("/c/co1/settings", api);
    const form = await companyForm();
    const save = within(form).getByRole("button", { name: "Save" }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    fireEvent.change(within(form).getByLabelText("Name"), { target: { value: " Acme Labs " } });
    fireEvent.change(within(form).getByLabelText("Monthly budget in USD"), { target: { value: "99.50" } });
    fireEvent.click(save);
    await within(form).findByRole("status");
    expect(within(form).getByRole("status").textContent).toBe("Saved.");
    expect(api.callsTo("PATCH /api/companies/co1").map((c) => c.body)).toEqual([{ name: "Acme Labs", budgetMonthlyCents: 9_950 }]);
    const switcher = screen.getByRole("combobox", { name: "Company" }) as HTMLSelectElement;
    await waitFor(() => expect(switcher.selectedOptions[0]?.textContent).toBe("Acme Labs"));
  });

  it("a 400 answer shows its message next to the field and in the form", async () => {
    const api = fakeApi(
      routes({
        "PATCH /api/companies/co1": {
          status: 400,
          body: {
            error: "Validation failed",
            code: "validation",
            details: [{ path: ["brandColor"], message: "Expected a colour like #1a2b3c" }],
          },
        },
      }),
    );
    renderBoard("/c/co1/settings", api);
    const form = await companyForm();
    fireEvent.change(within(form).getByLabelText("Brand colour"), { target: { value: "teal" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect((await within(form).findByRole("alert")).textContent).toContain("Not saved");
    expect(within(form).getByText("Expected a colour like #1a2b3c")).toBeTruthy();
    expect(api.callsTo("PATCH /api/companies/co1").map((c) => c.body)).toEqual([{ brandColor: "teal" }]);
    expect(within(form).queryByRole("status")).toBeNull();
  });

  it("wake breaker Save sends the numbers as numbers and the switches", async () => {
    const api = fakeApi(
      routes({
        "PATCH /api/companies/co1/wake-breakers": {
          body: { loopBreaker: { enabled: true, maxWakes: 5, windowMinutes: 30 }, quotaBreaker: { enabled: false } },
        },
      }),
    );
    renderBoard("/c/co1/settings", api);
    const form = await breakerForm();
    fireEvent.change(within(form).getByLabelText("Wakes on one issue"), { target: { value: "5" } });
    fireEvent.change(within(form).getByLabelText("Within minutes"), { target: { value: "30" } });
    fireEvent.click(within(form).getByLabelText("Quota breaker on"));
    fireEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect((await within(form).findByRole("status")).textContent).toBe("Saved.");
    expect(api.callsTo("PATCH /api/companies/co1/wake-breakers").map((c) => c.body)).toEqual([
      { loopBreaker: { enabled: true, maxWakes: 5, windowMinutes: 30 }, quotaBreaker: { enabled: false } },
    ]);
  });

  it("a wake breaker 400 is shown next to the number it names", async () => {
    const api = fakeApi(
      routes({
        "PATCH /api/companies/co1/wake-breakers": {
          status: 400,
          body: {
            error: "Validation failed",
            code: "validation",
            details: [{ path: ["loopBreaker", "maxWakes"], message: "Too small: expected number to be >=2" }],
          },
        },
      }),
    );
    renderBoard("/c/co1/settings", api);
    const form = await breakerForm();
    fireEvent.change(within(form).getByLabelText("Wakes on one issue"), { target: { value: "1" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(form).findByText("Too small: expected number to be >=2")).toBeTruthy();
    expect(within(form).getByRole("alert").textContent).toContain("Not saved");
    expect(api.callsTo("PATCH /api/companies/co1/wake-breakers")[0]?.body).toMatchObject({ loopBreaker: { maxWakes: 1 } });
  });
});
