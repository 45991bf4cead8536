// @vitest-environment jsdom
import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
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
    expect(api.requests.map((u) => u.pathname)).toEqual(["/api/companies"]);
  });
});
