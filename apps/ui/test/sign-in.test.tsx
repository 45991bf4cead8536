// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeApi, renderBoard } from "./helpers/board.js";

describe("sign-in screen", () => {
  it("replaces the board when the API answers 401", async () => {
    const api = fakeApi({ "GET /api/companies": { status: 401, body: { error: "Authentication required" } } });
    renderBoard("/c/some-company/issues", api);
    expect(await screen.findByRole("heading", { name: "Sign in to the board" })).toBeTruthy();
    expect(screen.getByText(/npx staple board/)).toBeTruthy();
    // The 401 is not shown as an error of the page, and no company page was rendered.
    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.queryByRole("navigation", { name: "Main" })).toBeNull();
    // Only the mode is asked for (local_trusted: the login-link text).
    expect(api.requests.map((u) => u.pathname)).toEqual(["/api/companies", "/api/auth/status"]);
  });
});

describe("email sign-in (authenticated mode)", () => {
  const unauthenticated = { status: 401, body: { error: "Authentication required" } };
  const status = { body: { deploymentMode: "authenticated", setupRequired: false } };
  const assign = vi.fn();
  const original = window.location;
  afterEach(() => {
    Object.defineProperty(window, "location", { value: original, configurable: true });
    assign.mockReset();
  });
  const stubLocation = () =>
    Object.defineProperty(window, "location", {
      value: { ...original, assign, pathname: "/c/co1/issues", search: "" },
      configurable: true,
    });

  it("posts email and password, then reloads the page it was on", async () => {
    stubLocation();
    const api = fakeApi({
      "GET /api/companies": unauthenticated,
      "GET /api/auth/status": status,
      "POST /api/auth/sign-in/email": {
        body: { user: { id: "u1", email: "ada@example.test", name: null, isInstanceAdmin: false }, expiresAt: "2027-01-01T00:00:00Z" },
      },
    });
    renderBoard("/c/co1/issues", api);
    const form = await screen.findByRole("form", { name: "Sign in" });
    const submit = within(form).getByRole("button", { name: "Sign in" }) as HTMLButtonElement;
    expect(submit.disabled).toBe(true);
    fireEvent.change(within(form).getByLabelText("Email"), { target: { value: "ada@example.test" } });
    fireEvent.change(within(form).getByLabelText("Password"), { target: { value: "correct horse battery" } });
    fireEvent.click(submit);
    await waitFor(() => expect(assign).toHaveBeenCalledWith("/c/co1/issues"));
    expect(api.callsTo("POST /api/auth/sign-in/email").map((c) => c.body)).toEqual([
      { email: "ada@example.test", password: "correct horse battery" },
    ]);
  });

  it("shows the server's refusal (wrong password, rate limit) and stays on the form", async () => {
    stubLocation();
    const api = fakeApi({
      "GET /api/companies": unauthenticated,
      "GET /api/auth/status": status,
      "POST /api/auth/sign-in/email": {
        status: 429,
        body: { error: "Too many failed sign-ins; try again later", code: "sign_in_rate_limited" },
      },
    });
    renderBoard("/", api);
    const form = await screen.findByRole("form", { name: "Sign in" });
    fireEvent.change(within(form).getByLabelText("Email"), { target: { value: "ada@example.test" } });
    fireEvent.change(within(form).getByLabelText("Password"), { target: { value: "wrong" } });
    fireEvent.click(within(form).getByRole("button", { name: "Sign in" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Too many failed sign-ins");
    expect(assign).not.toHaveBeenCalled();
  });

  it("before the first account exists, points to the setup link instead", async () => {
    const api = fakeApi({
      "GET /api/companies": unauthenticated,
      "GET /api/auth/status": { body: { deploymentMode: "authenticated", setupRequired: true } },
    });
    renderBoard("/", api);
    expect(await screen.findByText(/setup link the server printed/)).toBeTruthy();
    expect(screen.queryByRole("form", { name: "Sign in" })).toBeNull();
  });
});
