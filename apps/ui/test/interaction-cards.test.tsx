// @vitest-environment jsdom
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Interaction } from "../src/api/types.js";
import { InteractionCard } from "../src/components/interactions/interaction-card.js";
import { fakeApi, renderBoard, renderInCompany } from "./helpers/board.js";

const ISSUE = "11111111-1111-4111-8111-111111111111";
const ID = "22222222-2222-4222-8222-222222222222";

function card(kind: Interaction["kind"], payload: Record<string, unknown>, extra: Partial<Interaction> = {}): Interaction {
  return {
    id: ID,
    companyId: "co1",
    issueId: ISSUE,
    kind,
    status: "pending",
    continuationPolicy: "wake_assignee",
    resolverPolicy: "anyone",
    requestedResolverPolicy: "anyone",
    effectiveResolverPolicy: "anyone",
    resolverPolicyProvenance: "inherited",
    effectiveResolverPolicySource: "requested",
    legacyResolverPolicyAliases: { requested: null, effective: null },
    idempotencyKey: null,
    sourceCommentId: null,
    sourceRunId: null,
    title: null,
    summary: null,
    createdByAgentId: "ag1",
    createdByUserId: null,
    addresseeAgentId: null,
    addresseeUserId: null,
    payload: { version: 1, ...payload },
    result: null,
    resolvedByAgentId: null,
    resolvedByRunId: null,
    resolvedByUserId: null,
    resolvedAt: null,
    createdAt: "2026-12-01T10:00:00.000Z",
    updatedAt: "2026-12-01T10:00:00.000Z",
    ...extra,
  };
}

const action = (name: string) => `POST /api/issues/${ISSUE}/interactions/${ID}/${name}`;
/** A fake API answering every action of the card with the card itself (resolved). */
function apiFor(i: Interaction) {
  const answer = { body: { ...i, status: "accepted" } };
  return fakeApi(Object.fromEntries(["accept", "reject", "respond", "verdicts", "cancel"].map((a) => [action(a), answer])));
}

describe("interaction cards", () => {
  it("request_confirmation: shows the prompt from its agent and confirms with an empty accept", async () => {
    const i = card("request_confirmation", { prompt: "Ship the release notes?", acceptLabel: "Ship it" });
    const api = apiFor(i);
    renderInCompany(<InteractionCard interaction={i} />, api);
    expect(screen.getByText("Ship the release notes?")).toBeTruthy();
    expect(screen.getByText("Script Bot")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Ship it" }));
    await waitFor(() => expect(api.callsTo(action("accept"))).toHaveLength(1));
    expect(api.callsTo(action("accept"))[0]!.body).toEqual({});
  });

  it("request_confirmation: a required reject reason is asked for and sent", async () => {
    const i = card("request_confirmation", {
      prompt: "Merge the plan?",
      rejectRequiresReason: true,
      rejectReasonLabel: "What should change?",
    });
    const api = apiFor(i);
    renderInCompany(<InteractionCard interaction={i} />, api);
    const reject = screen.getByRole("button", { name: "Reject" }) as HTMLButtonElement;
    expect(reject.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText("What should change?"), { target: { value: "Split step 2" } });
    fireEvent.click(reject);
    await waitFor(() => expect(api.callsTo(action("reject"))).toHaveLength(1));
    expect(api.callsTo(action("reject"))[0]!.body).toEqual({ reason: "Split step 2" });
  });

  it("request_checkbox_confirmation: defaults ticked, the selection is sent in the payload's order", async () => {
    const i = card("request_checkbox_confirmation", {
      prompt: "Which environments?",
      options: [
        { id: "dev", label: "Development" },
        { id: "stage", label: "Staging" },
        { id: "prod", label: "Production" },
      ],
      defaultSelectedOptionIds: ["stage"],
      minSelected: 1,
    });
    const api = apiFor(i);
    renderInCompany(<InteractionCard interaction={i} />, api);
    expect((screen.getByLabelText("Staging") as HTMLInputElement).checked).toBe(true);
    fireEvent.click(screen.getByLabelText("Staging"));
    // Nothing ticked: below minSelected, confirm is refused.
    expect((screen.getByRole("button", { name: "Confirm selection" }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByLabelText("Production"));
    fireEvent.click(screen.getByLabelText("Development"));
    fireEvent.click(screen.getByRole("button", { name: "Confirm selection" }));
    await waitFor(() => expect(api.callsTo(action("accept"))).toHaveLength(1));
    expect(api.callsTo(action("accept"))[0]!.body).toEqual({ selectedOptionIds: ["dev", "prod"] });
  });

  it("request_item_verdicts: a verdict per item, with the required reason, in one submission", async () => {
    const i = card("request_item_verdicts", {
      prompt: "Review the screenshots",
      items: [
        { id: "a", label: "Home page" },
        { id: "b", label: "Settings" },
      ],
      requireReasonOn: ["reject"],
    });
    const api = apiFor(i);
    renderInCompany(<InteractionCard interaction={i} />, api);
    const home = screen.getByRole("group", { name: "Verdict on Home page" });
    const settings = screen.getByRole("group", { name: "Verdict on Settings" });
    fireEvent.click(within(home).getByRole("button", { name: "Approve" }));
    expect(within(home).getByRole("button", { name: "Approve" }).getAttribute("aria-pressed")).toBe("true");
    fireEvent.click(within(settings).getByRole("button", { name: "Reject" }));
    const submit = screen.getByRole("button", { name: "Submit verdicts" }) as HTMLButtonElement;
    expect(submit.disabled).toBe(true); // a reject needs its reason
    fireEvent.change(screen.getByLabelText("Reason for Settings"), { target: { value: "Wrong colours" } });
    fireEvent.click(submit);
    await waitFor(() => expect(api.callsTo(action("verdicts"))).toHaveLength(1));
    expect(api.callsTo(action("verdicts"))[0]!.body).toEqual({
      verdicts: [
        { id: "a", verdict: "approve" },
        { id: "b", verdict: "reject", reason: "Wrong colours" },
      ],
    });
  });

  it("ask_user_questions: answers a single-choice, a multi-choice and an 'other' text", async () => {
    const i = card("ask_user_questions", {
      title: "A few questions",
      submitLabel: "Answer",
      questions: [
        {
          id: "db",
          prompt: "Which database?",
          selectionMode: "single",
          required: true,
          options: [
            { id: "pg", label: "Postgres" },
            { id: "lite", label: "SQLite" },
          ],
        },
        {
          id: "os",
          prompt: "Which platforms?",
          selectionMode: "multi",
          allowOther: true,
          options: [
            { id: "linux", label: "Linux" },
            { id: "mac", label: "macOS" },
          ],
        },
      ],
    });
    const api = apiFor(i);
    renderInCompany(<InteractionCard interaction={i} />, api);
    const answer = screen.getByRole("button", { name: "Answer" }) as HTMLButtonElement;
    expect(answer.disabled).toBe(true); // the required question is unanswered
    fireEvent.click(screen.getByLabelText("Postgres"));
    fireEvent.click(screen.getByLabelText("Linux"));
    fireEvent.change(screen.getByLabelText("Other answer to: Which platforms?"), { target: { value: "FreeBSD" } });
    fireEvent.click(answer);
    await waitFor(() => expect(api.callsTo(action("respond"))).toHaveLength(1));
    expect(api.callsTo(action("respond"))[0]!.body).toEqual({
      answers: [
        { questionId: "db", optionIds: ["pg"] },
        { questionId: "os", optionIds: ["linux"], otherText: "FreeBSD" },
      ],
    });
  });

  it("suggest_tasks: accepts the ticked tasks by client key", async () => {
    const i = card("suggest_tasks", {
      tasks: [
        { clientKey: "t1", title: "Write the parser", priority: "high" },
        { clientKey: "t2", title: "Write its tests", parentClientKey: "t1" },
        { clientKey: "t3", title: "Benchmark it" },
      ],
    });
    const api = apiFor(i);
    renderInCompany(<InteractionCard interaction={i} />, api);
    fireEvent.click(screen.getByLabelText(/Benchmark it/));
    fireEvent.click(screen.getByRole("button", { name: "Accept 2 of 3 tasks" }));
    await waitFor(() => expect(api.callsTo(action("accept"))).toHaveLength(1));
    expect(api.callsTo(action("accept"))[0]!.body).toEqual({ selectedClientKeys: ["t1", "t2"] });
  });

  it("suggest_tasks: rejecting sends the reason", async () => {
    const i = card("suggest_tasks", { tasks: [{ clientKey: "t1", title: "Write the parser" }] });
    const api = apiFor(i);
    renderInCompany(<InteractionCard interaction={i} />, api);
    fireEvent.click(screen.getByRole("button", { name: "Reject…" }));
    fireEvent.change(screen.getByLabelText(/Reason for rejecting/), { target: { value: "Out of scope" } });
    fireEvent.click(screen.getByRole("button", { name: "Reject suggestions" }));
    await waitFor(() => expect(api.callsTo(action("reject"))).toHaveLength(1));
    expect(api.callsTo(action("reject"))[0]!.body).toEqual({ reason: "Out of scope" });
  });

  it("an accepted suggest_tasks card links the created sub-issues and has no buttons", () => {
    const i = card(
      "suggest_tasks",
      {
        tasks: [
          { clientKey: "t1", title: "Write the parser" },
          { clientKey: "t2", title: "Benchmark it" },
        ],
      },
      {
        status: "accepted",
        resolvedByUserId: "local-board",
        resolvedAt: "2026-12-01T11:00:00.000Z",
        result: {
          version: 1,
          createdTasks: [
            {
              clientKey: "t1",
              issueId: "33333333-3333-4333-8333-333333333333",
              identifier: "ACM-7",
              title: "Write the parser",
              parentIssueId: ISSUE,
              parentIdentifier: "ACM-1",
            },
          ],
          skippedClientKeys: ["t2"],
        },
      },
    );
    renderInCompany(<InteractionCard interaction={i} />, fakeApi({}));
    expect(screen.getByRole("link", { name: "Created ACM-7" }).getAttribute("href")).toBe("/c/co1/issues/ACM-7");
    expect(screen.getByText("not created")).toBeTruthy();
    expect(screen.queryByRole("button")).toBeNull();
    expect(screen.queryByRole("checkbox")).toBeNull();
    expect(screen.getByText(/Accepted by the board/)).toBeTruthy();
  });

  it("resolved, expired and cancelled cards are read-only and show their result", () => {
    const answered = card(
      "ask_user_questions",
      { questions: [{ id: "db", prompt: "Which database?", selectionMode: "single", options: [{ id: "pg", label: "Postgres" }] }] },
      {
        status: "answered",
        resolvedByUserId: "u",
        result: { version: 1, answers: [{ questionId: "db", optionIds: ["pg"] }], summaryMarkdown: null },
      },
    );
    const expired = card(
      "request_confirmation",
      { prompt: "Approve rev 3?" },
      { status: "expired", result: { version: 1, outcome: "stale_target" } },
    );
    const rejected = card(
      "request_checkbox_confirmation",
      { prompt: "Pick", options: [{ id: "x", label: "Option X" }] },
      { id: "44444444-4444-4444-8444-444444444444", status: "rejected", result: { version: 1, outcome: "rejected", reason: "Not now" } },
    );
    renderInCompany(
      <>
        <InteractionCard interaction={answered} />
        <InteractionCard interaction={expired} />
        <InteractionCard interaction={rejected} />
      </>,
      fakeApi({}),
    );
    expect(screen.queryByRole("button")).toBeNull();
    expect(screen.getByText("Postgres")).toBeTruthy();
    expect(screen.getByText("Stale target", { exact: false })).toBeTruthy();
    expect(screen.getByText("Not now")).toBeTruthy();
    expect((screen.getByLabelText("Option X") as HTMLInputElement).disabled).toBe(true);
    expect([...document.querySelectorAll(".interaction-card .badge")].map((b) => b.textContent)).toEqual([
      "Answered",
      "Expired",
      "Rejected",
    ]);
  });
});

describe("the issue thread", () => {
  it("shows each interaction card among the comments at its time", async () => {
    const comment = (id: string, body: string, createdAt: string) => ({
      id,
      companyId: "co1",
      issueId: ISSUE,
      authorType: "agent",
      authorAgentId: "ag1",
      authorUserId: null,
      body,
      createdByRunId: null,
      createdAt,
      updatedAt: createdAt,
    });
    const api = fakeApi({
      "GET /api/companies": {
        body: [{ id: "co1", name: "Acme", status: "active", description: null, spentMonthlyCents: 0, budgetMonthlyCents: 0 }],
      },
      "GET /api/companies/co1/agents": { body: [{ id: "ag1", name: "Script Bot", status: "idle" }] },
      "GET /api/auth/get-session": { body: { user: { id: "u" }, session: { id: null, source: "local" } } },
      "GET /api/issues/ACM-1": {
        body: {
          id: ISSUE,
          companyId: "co1",
          identifier: "ACM-1",
          title: "Plan the launch",
          description: null,
          status: "in_progress",
          priority: "high",
          assigneeAgentId: "ag1",
          updatedAt: "2026-12-01T12:00:00.000Z",
          ancestors: [],
          children: [],
          blockedBy: [],
          blocks: [],
          labels: [],
          labelIds: [],
        },
      },
      [`GET /api/issues/${ISSUE}/comments`]: {
        body: [
          comment("c1", "Here is my plan", "2026-12-01T09:00:00.000Z"),
          comment("c2", "Thanks, starting now", "2026-12-01T11:00:00.000Z"),
        ],
      },
      [`GET /api/issues/${ISSUE}/interactions`]: { body: [card("request_confirmation", { prompt: "Go ahead with the plan?" })] },
    });
    renderBoard("/c/co1/issues/ACM-1", api);
    const thread = await screen.findByRole("list", { name: "Conversation" });
    await within(thread).findByText("Go ahead with the plan?");
    // The conversation also holds the description (and runs and changes): only comments and cards here.
    const entries = within(thread)
      .getAllByRole("listitem")
      .filter((li) => li.parentElement === thread && (li.matches(".comment") || li.matches(".thread-card")));
    expect(
      entries.map((li) => (li.querySelector("[data-interaction-id]") ? "card" : li.textContent?.includes("plan") ? "c1" : "c2")),
    ).toEqual(["c1", "card", "c2"]);
    expect(within(thread).getByRole("button", { name: "Confirm" })).toBeTruthy();
  });
});
