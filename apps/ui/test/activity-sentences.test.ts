import { describe, expect, it } from "vitest";
import { type ActivityLike, activitySentence, sentenceText } from "../src/lib/activity-sentences.js";

const MARGARET = "11111111-1111-4111-8111-111111111111";
const CTO = "22222222-2222-4222-8222-222222222222";
const NEW_HIRE = "33333333-3333-4333-8333-333333333333";
const ISSUE = "44444444-4444-4444-8444-444444444444";
const names: Record<string, string> = { [MARGARET]: "Margaret", [CTO]: "CTO", [NEW_HIRE]: "Quinn" };
const ctx = { agentName: (id: string) => names[id] ?? null };

const byAgent = (id: string) => ({ actorType: "agent", actorId: id, agentId: id });
const board = { actorType: "user", actorId: "local-board", agentId: null };
const system = { actorType: "system", actorId: "system", agentId: null };
const onIssue = (details: Record<string, unknown>) => ({
  entityType: "issue",
  entityId: ISSUE,
  details: { identifier: "ACM-9", ...details },
});

/** Real action names as the server writes them, with the details it records. */
const table: [string, Omit<ActivityLike, "action"> & { action: string }, string][] = [
  [
    "status change",
    { ...byAgent(MARGARET), action: "issue.updated", ...onIssue({ changes: { status: { from: "in_progress", to: "done" } } }) },
    "Margaret moved ACM-9 from In progress to Done",
  ],
  [
    "status first, then the other changes",
    {
      ...board,
      action: "issue.updated",
      ...onIssue({ changes: { priority: { from: "low", to: "high" }, status: { from: "todo", to: "in_progress" } } }),
    },
    "The board moved ACM-9 from Todo to In progress and changed its priority from Low to High",
  ],
  [
    "assignment names the agent",
    { ...board, action: "issue.updated", ...onIssue({ changes: { assigneeAgentId: { from: null, to: CTO } } }) },
    "The board assigned ACM-9 to CTO",
  ],
  [
    "rename, description and unassign",
    {
      ...byAgent(CTO),
      action: "issue.updated",
      ...onIssue({
        changes: { title: { from: "Old", to: "New title" }, description: { from: "a", to: "b" }, assigneeAgentId: { from: CTO, to: null } },
      }),
    },
    "CTO renamed ACM-9 to “New title”, edited its description and unassigned it",
  ],
  [
    "blockers",
    { ...board, action: "issue.updated", ...onIssue({ changes: {}, blockers: { added: ["x", "y"], removed: [] } }) },
    "The board added 2 blockers on ACM-9",
  ],
  [
    "reopen by comment",
    { ...byAgent(CTO), action: "issue.updated", ...onIssue({ changes: { status: { from: "done", to: "todo" } }, via: "comment_reopen" }) },
    "CTO moved ACM-9 from Done to Todo by commenting",
  ],
  ["update without recorded changes", { ...system, action: "issue.updated", ...onIssue({}) }, "Staple updated ACM-9"],
  ["comment", { ...byAgent(CTO), action: "issue.comment_added", ...onIssue({ commentId: "c" }) }, "CTO commented on ACM-9"],
  [
    "created with title",
    { ...board, action: "issue.created", ...onIssue({ title: "Ship it", status: "todo" }) },
    "The board created ACM-9 “Ship it”",
  ],
  ["checkout", { ...byAgent(MARGARET), action: "issue.checked_out", ...onIssue({}) }, "Margaret started work on ACM-9"],
  [
    "interaction answered",
    { ...board, action: "issue.thread_interaction_answered", ...onIssue({}) },
    "The board answered a question on ACM-9",
  ],
  ["inbox archive", { ...board, action: "issue.inbox_archived", ...onIssue({}) }, "The board archived ACM-9 from the inbox"],
  [
    "hire approved",
    { ...board, action: "agent.hire_approved", entityType: "agent", entityId: NEW_HIRE, agentId: NEW_HIRE, details: { approvalId: "a" } },
    "The board approved hiring Quinn",
  ],
  [
    "hire requested",
    {
      ...byAgent(CTO),
      action: "agent.created",
      entityType: "agent",
      entityId: NEW_HIRE,
      details: { name: "Quinn", status: "pending_approval" },
    },
    "CTO asked to hire Quinn",
  ],
  [
    "agent paused",
    { ...board, action: "agent.paused", entityType: "agent", entityId: MARGARET, details: null },
    "The board paused Margaret",
  ],
  [
    "agent settings",
    { ...board, action: "agent.updated", entityType: "agent", entityId: MARGARET, details: { changedFields: ["budgetMonthlyCents"] } },
    "The board changed budget monthly cents of Margaret",
  ],
  [
    "approval decided",
    { ...board, action: "approval.approved", entityType: "approval", entityId: "ap", details: { type: "hire_agent" } },
    "The board approved a request (hire agent) — an approval",
  ],
  [
    "cost",
    { ...byAgent(CTO), action: "cost.reported", entityType: "cost_event", entityId: "c", details: { agentId: CTO, costCents: 22 } },
    "CTO reported a cost of $0.22 for CTO",
  ],
  [
    "lease",
    { ...byAgent(MARGARET), action: "environment.lease_acquired", entityType: "environment_lease", entityId: "l", details: {} },
    "Margaret took an environment lease",
  ],
  [
    "goal",
    { ...board, action: "goal.created", entityType: "goal", entityId: "g", details: { title: "Grow" } },
    "The board created goal “Grow”",
  ],
  [
    "project",
    { ...board, action: "project.updated", entityType: "project", entityId: "p", details: { name: "Site", changedFields: ["status"] } },
    "The board changed status of project “Site”",
  ],
  [
    "secret",
    { ...board, action: "secret.created", entityType: "secret", entityId: "s", details: { key: "API_KEY", name: "API key" } },
    "The board created secret “API key”",
  ],
  [
    "company",
    { ...board, action: "company.updated", entityType: "company", entityId: "co", details: {} },
    "The board changed the company settings",
  ],
  [
    "unknown dotted action",
    { ...system, action: "widget.frobbed", entityType: "widget", entityId: "w", details: null },
    "Staple frobbed a widget",
  ],
  ["bare action", { ...board, action: "pause", entityType: "agent", entityId: MARGARET, details: null }, "The board pause Margaret"],
  [
    "a removed agent",
    { ...byAgent("99999999-9999-4999-8999-999999999999"), action: "issue.comment_added", ...onIssue({}) },
    "An agent commented on ACM-9",
  ],
];

describe("activity sentences", () => {
  it.each(table)("%s", (_name, entry, expected) => {
    expect(sentenceText(activitySentence(entry as ActivityLike, ctx))).toBe(expected);
  });

  it("keeps the issue and agents as references for links", () => {
    const segments = activitySentence(
      {
        ...byAgent(MARGARET),
        action: "issue.updated",
        ...onIssue({ changes: { assigneeAgentId: { from: null, to: CTO } } }),
      } as ActivityLike,
      ctx,
    );
    expect(segments).toEqual([
      { ref: "agent", id: MARGARET, label: "Margaret" },
      " assigned ",
      { ref: "issue", id: ISSUE, label: "ACM-9" },
      " to ",
      { ref: "agent", id: CTO, label: "CTO" },
    ]);
  });
});
