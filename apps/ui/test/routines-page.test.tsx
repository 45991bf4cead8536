// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "@staple/api-client";
import { fakeApi, renderBoard, type FakeRoutes } from "./helpers/board.js";

type Routine = Schemas["Routine"];
type RoutineRun = Schemas["RoutineRun"];
const company = { id: "co1", name: "Acme Robotics", status: "active", description: null, spentMonthlyCents: 0, budgetMonthlyCents: 0 };
const AGENT = "00000000-0000-4000-8000-00000000000a";
const ROUTINE_ID = "00000000-0000-4000-8000-000000000001";
const TRIGGER_ID = "00000000-0000-4000-8000-000000000002";
const agents = [
  { id: AGENT, name: "Report Bot", status: "idle" },
  { id: "ag2", name: "Gone Bot", status: "terminated" },
];
const T0 = "2026-12-01T00:00:00.000Z";
const NEXT = "2026-12-04T09:00:00.000Z";

function routine(fields: Partial<Routine> = {}): Routine {
  return {
    id: ROUTINE_ID,
    companyId: "co1",
    projectId: null,
    goalId: null,
    parentIssueId: null,
    title: "Weekly report",
    description: null,
    assigneeAgentId: AGENT,
    priority: "medium",
    status: "active",
    concurrencyPolicy: "coalesce_if_active",
    catchUpPolicy: "skip_missed",
    createdByAgentId: null,
    createdByUserId: "u",
    updatedByAgentId: null,
    updatedByUserId: "u",
    lastTriggeredAt: null,
    createdAt: T0,
    updatedAt: T0,
    triggers: [
      {
        id: TRIGGER_ID,
        companyId: "co1",
        routineId: ROUTINE_ID,
        kind: "schedule",
        label: null,
        enabled: true,
        cronExpression: "0 9 * * 4",
        timezone: "Europe/Amsterdam",
        nextRunAt: NEXT,
        lastFiredAt: null,
        publicId: null,
        signingMode: null,
        replayWindowSec: null,
        lastRotatedAt: null,
        createdAt: T0,
        updatedAt: T0,
      },
    ],
    ...fields,
  };
}

function fire(fields: Partial<RoutineRun> = {}): RoutineRun {
  return {
    id: "00000000-0000-4000-8000-000000000003",
    companyId: "co1",
    routineId: ROUTINE_ID,
    triggerId: null,
    source: "manual",
    status: "issue_created",
    scheduledFor: null,
    triggeredAt: T0,
    idempotencyKey: null,
    triggerPayload: null,
    linkedIssueId: "00000000-0000-4000-8000-000000000004",
    coalescedIntoRunId: null,
    failureReason: null,
    completedAt: T0,
    createdAt: T0,
    updatedAt: T0,
    linkedIssue: {
      id: "00000000-0000-4000-8000-000000000004",
      identifier: "ACME-7",
      title: "Weekly report",
      status: "todo",
      priority: "medium",
    },
    trigger: null,
    ...fields,
  };
}

function routes(extra: FakeRoutes = {}): FakeRoutes {
  return {
    "GET /api/companies": { body: [company] },
    "GET /api/companies/co1/agents": { body: agents },
    "GET /api/auth/get-session": { body: { user: { id: "u" }, session: { id: null, source: "local" } } },
    "GET /api/companies/co1/approvals": { body: [] },
    "GET /api/companies/co1/projects": { body: [] },
    "GET /api/companies/co1/routines": { body: [routine()] },
    [`GET /api/routines/${ROUTINE_ID}/runs`]: { body: [fire()] },
    ...extra,
  };
}

async function openNewRoutine() {
  fireEvent.click(await screen.findByRole("button", { name: "New routine" }));
  const form = await screen.findByRole("form", { name: "New routine" });
  await within(form).findByRole("option", { name: "Report Bot" }); // the company's agents are loaded
  return form;
}

describe("routines page", () => {
  it("is in the navigation and lists each routine with its assignee, status, triggers and next fire", async () => {
    renderBoard("/c/co1/routines", fakeApi(routes()));
    const table = await screen.findByRole("table", { name: "Routines" });
    const row = within(table).getByText("Weekly report").closest("tr")!;
    expect(within(row).getByText("Report Bot")).toBeTruthy();
    expect(within(row).getByText("Active")).toBeTruthy();
    expect(within(row).getByText("0 9 * * 4 (Europe/Amsterdam)").tagName).toBe("CODE");
    expect(row.querySelector(`time[datetime="${NEXT}"]`)).toBeTruthy();
    expect(screen.getByRole("link", { name: "Routines" }).getAttribute("aria-current")).toBe("page");
  });

  it("creates a routine with the fields typed and shows the server's validation error; no trigger is added", async () => {
    const api = fakeApi(
      routes({
        "POST /api/companies/co1/routines": {
          status: 400,
          body: { error: "Invalid request body", code: "validation_error", details: [{ path: ["title"], message: "Too long" }] },
        },
      }),
    );
    renderBoard("/c/co1/routines", api);
    const form = await openNewRoutine();
    // A terminated agent cannot be chosen as the assignee of a new routine.
    expect(within(form).queryByRole("option", { name: "Gone Bot" })).toBeNull();
    fireEvent.change(within(form).getByLabelText("Title"), { target: { value: "  Hourly triage " } });
    fireEvent.change(within(form).getByLabelText("Description"), { target: { value: "Triage the inbox" } });
    fireEvent.change(within(form).getByLabelText("Assignee"), { target: { value: AGENT } });
    fireEvent.change(within(form).getByLabelText("Priority"), { target: { value: "high" } });
    fireEvent.change(within(form).getByLabelText("Concurrency"), { target: { value: "skip_if_active" } });
    fireEvent.change(within(form).getByLabelText("Catch-up"), { target: { value: "enqueue_missed_with_cap" } });
    fireEvent.change(within(form).getByLabelText("Cron expression"), { target: { value: "0 * * * *" } });
    fireEvent.click(within(form).getByRole("button", { name: "Create routine" }));
    await waitFor(() => expect(api.callsTo("POST /api/companies/co1/routines")).toHaveLength(1));
    expect(api.callsTo("POST /api/companies/co1/routines")[0]!.body).toEqual({
      title: "Hourly triage",
      description: "Triage the inbox",
      assigneeAgentId: AGENT,
      projectId: null,
      priority: "high",
      concurrencyPolicy: "skip_if_active",
      catchUpPolicy: "enqueue_missed_with_cap",
    });
    expect((await within(form).findByRole("alert")).textContent).toBe("Invalid request body (title: Too long)");
    expect(api.calls.some((c) => c.method === "POST" && c.url.pathname.endsWith("/triggers"))).toBe(false);
  });

  it("adds the schedule trigger after a successful create", async () => {
    const created = routine({ id: "00000000-0000-4000-8000-000000000009", title: "Hourly triage", triggers: [] });
    const api = fakeApi(
      routes({
        "POST /api/companies/co1/routines": { status: 201, body: created },
        [`POST /api/routines/${created.id}/triggers`]: { status: 201, body: { trigger: routine().triggers[0], secretMaterial: null } },
      }),
    );
    renderBoard("/c/co1/routines", api);
    const form = await openNewRoutine();
    fireEvent.change(within(form).getByLabelText("Title"), { target: { value: "Hourly triage" } });
    fireEvent.change(within(form).getByLabelText("Assignee"), { target: { value: AGENT } });
    fireEvent.change(within(form).getByLabelText("Cron expression"), { target: { value: "0 * * * *" } });
    fireEvent.change(within(form).getByLabelText("Time zone"), { target: { value: "America/New_York" } });
    fireEvent.click(within(form).getByRole("button", { name: "Create routine" }));
    await waitFor(() => expect(api.callsTo(`POST /api/routines/${created.id}/triggers`)).toHaveLength(1));
    expect(api.callsTo(`POST /api/routines/${created.id}/triggers`)[0]!.body).toEqual({
      kind: "schedule",
      cronExpression: "0 * * * *",
      timezone: "America/New_York",
    });
  });

  it("a schedule refused after the routine was created is reported, and the form does not offer to create it again", async () => {
    const created = routine({ id: "00000000-0000-4000-8000-000000000009", title: "Hourly triage", triggers: [] });
    const api = fakeApi(
      routes({
        "GET /api/companies/co1/routines": { body: [routine(), created] },
        "POST /api/companies/co1/routines": { status: 201, body: created },
        [`POST /api/routines/${created.id}/triggers`]: { status: 400, body: { error: 'timezone: unknown IANA time zone "Mars/Base"' } },
      }),
    );
    renderBoard("/c/co1/routines", api);
    const form = await openNewRoutine();
    fireEvent.change(within(form).getByLabelText("Title"), { target: { value: "Hourly triage" } });
    fireEvent.change(within(form).getByLabelText("Assignee"), { target: { value: AGENT } });
    fireEvent.change(within(form).getByLabelText("Cron expression"), { target: { value: "0 * * * *" } });
    fireEvent.click(within(form).getByRole("button", { name: "Create routine" }));
    expect(await screen.findByText(/Hourly triage was created, but its schedule was refused: timezone: unknown/)).toBeTruthy();
    expect(screen.queryByRole("form", { name: "New routine" })).toBeNull();
    expect(await screen.findByRole("form", { name: "Edit Hourly triage" })).toBeTruthy();
    expect(api.callsTo("POST /api/companies/co1/routines")).toHaveLength(1);
  });

  it("shows the next five fire times of */15 * * * *, and the cron error of a bad expression", async () => {
    renderBoard("/c/co1/routines", fakeApi(routes()));
    const form = await openNewRoutine();
    fireEvent.change(within(form).getByLabelText("Cron expression"), { target: { value: "*/15 * * * *" } });
    const list = within(form).getByRole("list", { name: "Next fire times" });
    const times = [...list.querySelectorAll("time")].map((t) => Date.parse(t.getAttribute("datetime")!));
    expect(times).toHaveLength(5);
    expect(times[0]! - Date.now()).toBeGreaterThan(0);
    expect(times[0]! - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    for (const t of times) expect(new Date(t).getUTCMinutes() % 15).toBe(0);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(15 * 60_000);

    fireEvent.change(within(form).getByLabelText("Cron expression"), { target: { value: "61 * * * *" } });
    expect(within(form).queryByRole("list", { name: "Next fire times" })).toBeNull();
    expect(within(form).getByLabelText("Cron expression").getAttribute("aria-describedby")).toContain("error");
    expect((within(form).getByRole("button", { name: "Create routine" }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("Run now posts to the routine's run route and reports the fire; the history links the execution issue", async () => {
    const api = fakeApi(routes({ [`POST /api/routines/${ROUTINE_ID}/run`]: { status: 202, body: fire() } }));
    renderBoard("/c/co1/routines", api);
    fireEvent.click(await screen.findByRole("button", { name: "Run Weekly report now" }));
    await waitFor(() => expect(api.callsTo(`POST /api/routines/${ROUTINE_ID}/run`)).toHaveLength(1));
    expect(api.callsTo(`POST /api/routines/${ROUTINE_ID}/run`)[0]!.body).toEqual({});
    expect(await screen.findByText("Weekly report fired: issue created (ACME-7).")).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Open Weekly report" }));
    const fires = await screen.findByRole("table", { name: "Fires of Weekly report" });
    expect(within(fires).getByRole("link", { name: "ACME-7 Weekly report" }).getAttribute("href")).toBe("/c/co1/issues/ACME-7");
  });

  it("pauses with a PATCH, and archives only after the confirm dialog", async () => {
    const api = fakeApi(routes({ [`PATCH /api/routines/${ROUTINE_ID}`]: { body: routine({ status: "paused" }) } }));
    // jsdom has no modal dialogs; the confirm dialog renders its buttons either way.
    HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
      this.setAttribute("open", "");
    };
    HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
      this.removeAttribute("open");
    };
    renderBoard("/c/co1/routines", api);
    fireEvent.click(await screen.findByRole("button", { name: "Pause Weekly report" }));
    await waitFor(() => expect(api.callsTo(`PATCH /api/routines/${ROUTINE_ID}`).map((c) => c.body)).toEqual([{ status: "paused" }]));
    fireEvent.click(screen.getByRole("button", { name: "Archive Weekly report" }));
    const dialog = await screen.findByRole("dialog");
    expect(api.callsTo(`PATCH /api/routines/${ROUTINE_ID}`)).toHaveLength(1);
    fireEvent.click(within(dialog).getByRole("button", { name: "Archive" }));
    await waitFor(() =>
      expect(api.callsTo(`PATCH /api/routines/${ROUTINE_ID}`).map((c) => c.body)).toEqual([{ status: "paused" }, { status: "archived" }]),
    );
  });
});
