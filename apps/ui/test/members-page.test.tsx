// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@staple/api-client";
import { formatTime } from "../src/lib/format.js";
import { fakeApi, renderBoard, type FakeRoutes } from "./helpers/board.js";

type Member = Schemas["Member"];
type Invite = Schemas["Invite"];
const company = { id: "co1", name: "Acme Robotics", status: "active", description: null, spentMonthlyCents: 0, budgetMonthlyCents: 0 };
const MEMBER_ID = "00000000-0000-4000-8000-0000000000b1";
const INVITE_TOKEN = "sti_secret-invite-token-123";

function member(fields: Partial<Member> = {}): Member {
  return {
    id: MEMBER_ID,
    companyId: "co1",
    userId: "u2",
    email: "dana@example.test",
    name: "Dana",
    role: "member",
    createdAt: "2026-12-01T00:00:00.000Z",
    ...fields,
  };
}

function invite(fields: Partial<Invite> = {}): Invite {
  return {
    id: "00000000-0000-4000-8000-0000000000c1",
    companyId: "co1",
    role: "viewer",
    requiresApproval: false,
    createdByUserId: "u1",
    createdAt: "2026-12-01T00:00:00.000Z",
    expiresAt: "2026-12-04T00:00:00.000Z",
    acceptedAt: null,
    acceptedByUserId: null,
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
    "GET /api/companies/co1/members": { body: [member()] },
    "GET /api/companies/co1/join-requests": { body: [] },
    ...extra,
  };
}

describe("members page", () => {
  it("changing a role sends a PATCH with the new role; the server's refusal is shown", async () => {
    const api = fakeApi(
      routes({
        "GET /api/companies/co1/invites": { body: [] },
        [`PATCH /api/companies/co1/members/${MEMBER_ID}`]: {
          status: 403,
          body: { error: "Your role (member) in this company does not allow this (manage_members)", code: "forbidden" },
        },
      }),
    );
    renderBoard("/c/co1/members", api);
    fireEvent.change(await screen.findByLabelText("Role of dana@example.test"), { target: { value: "admin" } });
    await waitFor(() =>
      expect(api.callsTo(`PATCH /api/companies/co1/members/${MEMBER_ID}`).map((c) => c.body)).toEqual([{ role: "admin" }]),
    );
    expect((await screen.findByRole("alert")).textContent).toContain("does not allow this");
  });

  it("an invite link is shown once after creating it; the invite list shows no link or token", async () => {
    let listed: Invite[] = [];
    const api = fakeApi(
      routes({
        "GET /api/companies/co1/invites": () => ({ body: listed }),
        "POST /api/companies/co1/invites": () => {
          listed = [invite()];
          return { status: 201, body: { ...invite(), token: INVITE_TOKEN, inviteUrl: `http://board.test/invite/${INVITE_TOKEN}` } };
        },
      }),
    );
    renderBoard("/c/co1/members", api);
    const form = await screen.findByRole("form", { name: "Invite someone" });
    fireEvent.change(within(form).getByLabelText("Role"), { target: { value: "viewer" } });
    fireEvent.click(within(form).getByRole("button", { name: "Create invite link" }));
    const link = await screen.findByText(`http://board.test/invite/${INVITE_TOKEN}`);
    expect(link.closest("[role=status]")?.textContent).toMatch(/shown once, single use/);
    expect(api.callsTo("POST /api/companies/co1/invites").map((c) => c.body)).toEqual([{ role: "viewer", requiresApproval: false }]);
    // The list is read again and describes the invite without its secret.
    const section = await screen.findByRole("region", { name: "Invites" });
    const row = await within(section).findByText(/viewer ·/);
    // relativeTime reads every time as past ("just now" for an expiry days ahead); the expiry is a date.
    expect(row.textContent).not.toContain("just now");
    expect(row.textContent).toContain(`expires ${formatTime(invite().expiresAt)}`);
    expect(section.textContent).not.toContain(INVITE_TOKEN);
    // Exactly one place on the page carries the token: the just-created link.
    expect(document.body.innerHTML.split(INVITE_TOKEN)).toHaveLength(2);
  });
});
