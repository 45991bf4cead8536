// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { InboxItem } from "../src/lib/inbox.js";
import { dayLabel, groupByDay } from "../src/lib/inbox.js";
import { fakeApi, renderBoard, type FakeRoutes } from "./helpers/board.js";

const company = { id: "co1", name: "Acme Robotics", status: "active", description: null, spentMonthlyCents: 0, budgetMonthlyCents: 0 };
const agents = [{ id: "ag1", name: "Script Bot", status: "error" }];
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const now = Date.now();
const ago = (minutes: number) => new Date(now - minutes * 60_000).toISOString();

function item(fields: Partial<InboxItem> & Pick<InboxItem, "key" | "kind" | "title">): InboxItem {
  return {
    detail: null,
    createdAt: ago(5),
    unread: true,
    archived: false,
    readAt: null,
    archivedAt: null,
    issue: null,
    runId: null,
    agentId: null,
    approvalId: null,
    interactionId: null,
    commentId: null,
    links: {},
    ...fields,
  };
}

const failed = item({
  key: `run:${uuid(1)}`,
  kind: "run_failed",
  title: "ACM-3: Ship the login page",
  detail: "Script Bot's run failed: exit code 3",
  issue: { id: uuid(1), identifier: "ACM-3", title: "Ship the login page", status: "in_progress" },
  runId: uuid(9),
  agentId: "ag1",
  links: { issue: "/issues/ACM-3", run: `/runs/${uuid(9)}` },
});
const blocked = item({
  key: `attention:blocked:${uuid(2)}`,
  kind: "issue_blocked",
  title: "ACM-5: Waits on the API",
  detail: "Blocked by ACM-4",
  createdAt: ago(60 * 24 * 3),
  unread: false,
  issue: { id: uuid(2), identifier: "ACM-5", title: "Waits on the API", status: "blocked" },
  links: { issue: "/issues/ACM-5" },
});

function routes(state: { items: InboxItem[]; archived: InboxItem[] }, extra: FakeRoutes = {}): FakeRoutes {
  const counts = () => ({ unread: state.items.filter((i) => i.unread).length, total: state.items.length });
  const move = (keys: string[], archive: boolean) => {
    const from = archive ? state.items : state.archived;
    const moved = from.filter((i) => keys.includes(i.key)).map((i) => ({ ...i, archived: archive, unread: false }));
    state.items = archive ? state.items.filter((i) => !keys.includes(i.key)) : [...state.items, ...moved];
    state.archived = archive ? [...state.archived, ...moved] : state.archived.filter((i) => !keys.includes(i.key));
  };
  return {
    "GET /api/companies": { body: [company] },
    "GET /api/companies/co1/agents": { body: agents },
    "GET /api/auth/get-session": { body: { user: { id: "u" }, session: { id: null, source: "local" } } },
    "GET /api/companies/co1/approvals": { body: [] },
    "GET /api/companies/co1/inbox": (url) => ({
      body: { items: url.searchParams.get("view") === "archived" ? state.archived : state.items, ...counts() },
    }),
    "GET /api/companies/co1/inbox/count": () => ({ body: counts() }),
    "POST /api/companies/co1/inbox/read": () => {
      state.items = state.items.map((i) => ({ ...i, unread: false }));
      return { body: { updated: [], ...counts() } };
    },
    "POST /api/companies/co1/inbox/archive": () => {
      move([failed.key], true);
      return { body: { updated: [failed.key], ...counts() } };
    },
    "POST /api/companies/co1/inbox/unarchive": () => {
      move([failed.key], false);
      return { body: { updated: [failed.key], ...counts() } };
    },
    "POST /api/agents/ag1/wakeup": { status: 202, body: { id: uuid(10), status: "queued" } },
    ...extra,
  };
}

/** Pages load lazily; on a loaded machine the first chunk can take longer than Testing Library's 1 s. */
const FIRST = { timeout: 5000 };

describe("inbox page", () => {
  it("lists items newest first by day with unread dots, names failed runs by their issue, and counts unread in the nav", async () => {
    const api = fakeApi(routes({ items: [failed, blocked], archived: [] }));
    renderBoard("/c/co1/inbox", api);
    const today = await screen.findByRole("region", { name: "Today" }, FIRST);
    expect(screen.getByRole("heading", { level: 1, name: "Inbox" })).toBeTruthy();
    expect(screen.getByText("1 unread · 2 in the inbox")).toBeTruthy();
    const row = within(today).getByRole("listitem", { name: "Unread: Run failed: ACM-3: Ship the login page" });
    expect(within(row).getByRole("link", { name: "ACM-3: Ship the login page" }).getAttribute("href")).toBe("/c/co1/issues/ACM-3");
    expect(within(row).getByText(/exit code 3/)).toBeTruthy();
    expect(within(row).getByRole("link", { name: "run" }).getAttribute("href")).toBe(`/c/co1/runs/${uuid(9)}`);
    // The older, read item sits in a later group without the unread mark.
    const groups = screen.getAllByRole("region").map((r) => r.getAttribute("aria-label"));
    expect(groups[0]).toBe("Today");
    expect(groups).toHaveLength(2);
    expect(screen.getByRole("listitem", { name: "Blocked: ACM-5: Waits on the API" })).toBeTruthy();
    // The navigation counts the unread items.
    expect(await screen.findByRole("link", { name: "Inbox (1 unread)" })).toBeTruthy();
  });

  it("opening an item marks it read; the nav count drops", async () => {
    const api = fakeApi(routes({ items: [failed, blocked], archived: [] }));
    renderBoard("/c/co1/inbox", api);
    await screen.findByRole("link", { name: "Inbox (1 unread)" }, FIRST);
    fireEvent.click(await screen.findByRole("link", { name: "ACM-3: Ship the login page" }, FIRST));
    await waitFor(() => expect(api.callsTo("POST /api/companies/co1/inbox/read")).toHaveLength(1));
    expect(api.callsTo("POST /api/companies/co1/inbox/read")[0]!.body).toEqual({ itemKeys: [failed.key] });
    await waitFor(() => expect(screen.getByRole("link", { name: "Inbox" })).toBeTruthy());
  });

  it("archives with an undo, and the archived view lists it", async () => {
    const api = fakeApi(routes({ items: [failed, blocked], archived: [] }));
    renderBoard("/c/co1/inbox", api);
    fireEvent.click(await screen.findByRole("button", { name: "Archive Run failed: ACM-3: Ship the login page" }, FIRST));
    await waitFor(() => expect(api.callsTo("POST /api/companies/co1/inbox/archive")).toHaveLength(1));
    expect(api.callsTo("POST /api/companies/co1/inbox/archive")[0]!.body).toEqual({ itemKeys: [failed.key] });
    await waitFor(() => expect(screen.queryByRole("listitem", { name: /ACM-3/ })).toBeNull());
    expect(await screen.findByText(/Archived “ACM-3: Ship the login page”/)).toBeTruthy();
    expect((await screen.findByRole("link", { name: "Inbox" })).querySelector(".nav-count")).toBeNull();

    fireEvent.click(screen.getByRole("button", { name: "Undo" }));
    await waitFor(() => expect(api.callsTo("POST /api/companies/co1/inbox/unarchive")).toHaveLength(1));
    expect(await screen.findByRole("listitem", { name: /ACM-3: Ship the login page/ })).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Archive Run failed: ACM-3: Ship the login page" }));
    await waitFor(() => expect(api.callsTo("POST /api/companies/co1/inbox/archive")).toHaveLength(2));
    fireEvent.click(screen.getByRole("button", { name: "Archived" }));
    expect(await screen.findByRole("button", { name: "Restore Run failed: ACM-3: Ship the login page" })).toBeTruthy();
  });

  it("retries a failed run by waking its agent on the issue", async () => {
    const api = fakeApi(routes({ items: [failed], archived: [] }));
    renderBoard("/c/co1/inbox", api);
    fireEvent.click(await screen.findByRole("button", { name: "Retry" }, FIRST));
    await waitFor(() => expect(api.callsTo("POST /api/agents/ag1/wakeup")).toHaveLength(1));
    expect(api.callsTo("POST /api/agents/ag1/wakeup")[0]!.body).toMatchObject({ payload: { issueId: uuid(1) } });
    expect(await screen.findByText("Retry queued.")).toBeTruthy();
  });

  it("the dashboard's Needs the board shows inbox items by issue title, not run hashes", async () => {
    const api = fakeApi(routes({ items: [failed, blocked], archived: [] }));
    renderBoard("/c/co1", api);
    const link = await screen.findByRole("link", { name: "ACM-3: Ship the login page" }, FIRST);
    expect(link.getAttribute("href")).toBe("/c/co1/issues/ACM-3");
    expect(screen.queryByText(/^Run [0-9a-f]{8}$/)).toBeNull();
    expect(screen.getByRole("link", { name: "Open the inbox" }).getAttribute("href")).toBe("/c/co1/inbox");
    expect(screen.getByRole("heading", { name: /Needs the board \(3\)/ })).toBeTruthy();
  });
});

describe("dashboard inbox rows", () => {
  it("archiving from the dashboard offers an Undo in a toast", async () => {
    const api = fakeApi(routes({ items: [failed, blocked], archived: [] }));
    renderBoard("/c/co1", api);
    fireEvent.click(await screen.findByRole("button", { name: "Archive Run failed: ACM-3: Ship the login page" }, FIRST));
    await waitFor(() => expect(api.callsTo("POST /api/companies/co1/inbox/archive")).toHaveLength(1));
    const toasts = document.querySelector(".toasts") as HTMLElement;
    expect(toasts.getAttribute("role")).toBe("status");
    fireEvent.click(await within(toasts).findByRole("button", { name: "Undo" }));
    await waitFor(() => expect(api.callsTo("POST /api/companies/co1/inbox/unarchive")).toHaveLength(1));
    expect(await screen.findByRole("button", { name: "Archive Run failed: ACM-3: Ship the login page" })).toBeTruthy();
  });
});

describe("inbox grouping", () => {
  it("labels today, yesterday and older days, keeping the order", () => {
    const base = new Date("2026-12-04T12:00:00");
    expect(dayLabel("2026-12-04T01:00:00", base)).toBe("Today");
    expect(dayLabel("2026-12-03T23:00:00", base)).toBe("Yesterday");
    const groups = groupByDay(
      [
        item({ key: "a", kind: "mention", title: "a", createdAt: "2026-12-04T10:00:00" }),
        item({ key: "b", kind: "mention", title: "b", createdAt: "2026-12-04T09:00:00" }),
        item({ key: "c", kind: "mention", title: "c", createdAt: "2026-12-01T09:00:00" }),
      ],
      base,
    );
    expect(groups.map((g) => [g.label, g.items.map((i) => i.key)])).toEqual([
      ["Today", ["a", "b"]],
      [dayLabel("2026-12-01T09:00:00", base), ["c"]],
    ]);
  });
});
