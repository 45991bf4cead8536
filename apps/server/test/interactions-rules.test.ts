import { describe, expect, it } from "vitest";
import { INTERACTION_KINDS, INTERACTION_STATUSES, type InteractionKind, type InteractionStatus } from "@staple/contracts";
import {
  ACTION_KINDS,
  actionRefusal,
  continuationWakes,
  normalizeResolverPolicy,
  resolverRefusal,
  withdrawRefusal,
  type AudienceFacts,
  type InteractionAction,
  type ResolverActor,
} from "../src/interactions/rules.js";
import { applyVerdicts, normalizeAnswers, selectCheckboxOptions, selectSuggestedTasks } from "../src/interactions/responses.js";
import { DomainError } from "../src/errors.js";

/** The pure decisions of the interaction module, as tables. */

const CREATOR = "11111111-1111-4111-8111-111111111111";
const OTHER = "22222222-2222-4222-8222-222222222222";
const RUN = "33333333-3333-4333-8333-333333333333";
const card = (over: Partial<AudienceFacts> = {}): AudienceFacts => ({
  effectiveResolverPolicy: "anyone",
  createdByAgentId: CREATOR,
  createdByUserId: null,
  sourceRunId: RUN,
  addresseeAgentId: null,
  addresseeUserId: null,
  ...over,
});
const board: ResolverActor = { kind: "board", userId: "local-board" };
const agent = (agentId: string, runId: string | null = "44444444-4444-4444-8444-444444444444"): ResolverActor => ({
  kind: "agent",
  agentId,
  runId,
});

describe("resolverRefusal", () => {
  const table: [string, AudienceFacts, ResolverActor, string | null][] = [
    ["anyone: the creator agent from a run", card(), agent(CREATOR), null],
    ["anyone: another agent", card(), agent(OTHER), null],
    ["anyone: the board", card(), board, null],
    ["any policy: an agent without a run", card(), agent(OTHER, null), "interaction_run_attribution_required"],
    ["not_creator: the creator agent", card({ effectiveResolverPolicy: "not_creator" }), agent(CREATOR), "interaction_creator_excluded"],
    [
      "not_creator: another agent acting from the creating run",
      card({ effectiveResolverPolicy: "not_creator" }),
      agent(OTHER, RUN),
      "interaction_creator_excluded",
    ],
    ["not_creator: another agent", card({ effectiveResolverPolicy: "not_creator" }), agent(OTHER), null],
    ["not_creator: the board for an agent's card", card({ effectiveResolverPolicy: "not_creator" }), board, null],
    [
      "not_creator: the board user who created it",
      card({ effectiveResolverPolicy: "not_creator", createdByAgentId: null, createdByUserId: "local-board" }),
      board,
      "interaction_creator_excluded",
    ],
    ["human_only: any agent", card({ effectiveResolverPolicy: "human_only" }), agent(OTHER), "interaction_human_only"],
    ["human_only: the board", card({ effectiveResolverPolicy: "human_only" }), board, null],
    ["addressed to an agent: someone else", card({ addresseeAgentId: OTHER }), agent(CREATOR), "interaction_addressee_mismatch"],
    ["addressed to an agent: the addressee", card({ addresseeAgentId: OTHER }), agent(OTHER), null],
    ["addressed to an agent: the board", card({ addresseeAgentId: OTHER }), board, null],
    ["addressed to a user: an agent", card({ addresseeUserId: "someone" }), agent(OTHER), "interaction_addressee_mismatch"],
    ["addressed to a user: another user", card({ addresseeUserId: "someone" }), board, "interaction_addressee_mismatch"],
  ];
  it.each(table)("%s", (_name, facts, actor, code) => {
    expect(resolverRefusal(facts, actor)?.code ?? null).toBe(code);
  });

  it("withdraw: the board, the creator agent or the issue's assignee agent", () => {
    expect(withdrawRefusal({ createdByAgentId: CREATOR }, { assigneeAgentId: null }, board)).toBeNull();
    expect(withdrawRefusal({ createdByAgentId: CREATOR }, { assigneeAgentId: null }, agent(CREATOR))).toBeNull();
    expect(withdrawRefusal({ createdByAgentId: CREATOR }, { assigneeAgentId: OTHER }, agent(OTHER))).toBeNull();
    expect(withdrawRefusal({ createdByAgentId: CREATOR }, { assigneeAgentId: null }, agent(OTHER))?.kind).toBe("forbidden");
  });
});

describe("actionRefusal: which transitions are legal", () => {
  it("on a pending card of an open issue, exactly the actions of ACTION_KINDS apply", () => {
    for (const action of Object.keys(ACTION_KINDS) as InteractionAction[]) {
      for (const kind of INTERACTION_KINDS) {
        const kinds = ACTION_KINDS[action];
        const legal = kinds === "any" || kinds.includes(kind);
        const refusal = actionRefusal(action, { kind, status: "pending", result: null }, "in_review");
        expect(refusal === null ? "ok" : refusal.code, `${action} on ${kind}`).toBe(legal ? "ok" : "interaction_kind_mismatch");
      }
    }
  });

  it("every non-pending status refuses every action with a 409, coded by the result's outcome", () => {
    const codes: [InteractionStatus, unknown, string][] = [
      ["accepted", { outcome: "accepted" }, "interaction_already_resolved"],
      ["expired", { outcome: "stale_target" }, "interaction_stale_target"],
      ["expired", { outcome: "superseded_by_comment" }, "interaction_superseded"],
      ["expired", { outcome: "superseded_by_newer_request" }, "interaction_superseded"],
      ["expired", { outcome: "issue_closed" }, "interaction_issue_closed"],
      ["cancelled", { outcome: "withdrawn" }, "interaction_already_resolved"],
      ["answered", null, "interaction_already_resolved"],
    ];
    for (const [status, result, code] of codes) {
      for (const action of Object.keys(ACTION_KINDS) as InteractionAction[]) {
        expect(actionRefusal(action, { kind: "request_confirmation", status, result }, "todo"), `${action} ${status}`).toMatchObject({
          kind: "conflict",
          code,
        });
      }
    }
    expect(INTERACTION_STATUSES.filter((s) => s !== "pending")).toHaveLength(5);
  });

  it("a closed issue refuses before anything else", () => {
    for (const issueStatus of ["done", "cancelled"]) {
      expect(actionRefusal("respond", { kind: "suggest_tasks", status: "accepted", result: null }, issueStatus)?.code).toBe(
        "interaction_issue_closed",
      );
    }
  });
});

describe("continuationWakes", () => {
  const base = {
    kind: "request_confirmation" as InteractionKind,
    issueStatus: "in_review",
    assigneeAgentId: OTHER,
    rejectedOwnPlan: false,
  };
  const table: [
    string,
    Partial<Parameters<typeof continuationWakes>[0]> & {
      policy: "none" | "wake_assignee" | "wake_assignee_on_accept";
      status: InteractionStatus;
    },
    boolean,
  ][] = [
    ["wake_assignee, accepted", { policy: "wake_assignee", status: "accepted" }, true],
    ["wake_assignee, rejected", { policy: "wake_assignee", status: "rejected" }, true],
    ["wake_assignee, cancelled (withdrawn)", { policy: "wake_assignee", status: "cancelled" }, true],
    ["wake_assignee, pending (partial verdicts)", { policy: "wake_assignee", status: "pending" }, true],
    ["wake_assignee, expired", { policy: "wake_assignee", status: "expired" }, false],
    ["on_accept, accepted", { policy: "wake_assignee_on_accept", status: "accepted" }, true],
    ["on_accept, answered", { policy: "wake_assignee_on_accept", status: "answered" }, true],
    ["on_accept, rejected", { policy: "wake_assignee_on_accept", status: "rejected" }, false],
    ["none, accepted", { policy: "none", status: "accepted" }, false],
    ["none, rejected plan confirmation", { policy: "none", status: "rejected", rejectedOwnPlan: true }, true],
    ["wake_assignee, no agent assignee", { policy: "wake_assignee", status: "accepted", assigneeAgentId: null }, false],
    ["wake_assignee, closed issue", { policy: "wake_assignee", status: "accepted", issueStatus: "done" }, false],
  ];
  it.each(table)("%s", (_name, input, wakes) => {
    expect(continuationWakes({ ...base, ...input })).toBe(wakes);
  });
});

describe("normalizeResolverPolicy", () => {
  it.each([
    [undefined, "anyone", "inherited"],
    ["anyone", "anyone", "explicit"],
    ["not_creator", "not_creator", "explicit"],
    ["human_only", "human_only", "explicit"],
    ["board_or_agents", "anyone", "explicit"],
    ["board_only", "human_only", "explicit"],
  ])("%s -> %s (%s)", (input, policy, provenance) => {
    expect(normalizeResolverPolicy(input)).toEqual({ policy, provenance });
  });
});

describe("responses", () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
      return "ok";
    } catch (error) {
      return error instanceof DomainError ? `${error.kind}: ${error.message}` : String(error);
    }
  };

  it("checkbox selection: defaults, order, bounds", () => {
    const payload = {
      version: 1 as const,
      prompt: "p",
      options: [
        { id: "a", label: "A" },
        { id: "b", label: "B" },
        { id: "c", label: "C" },
      ],
      defaultSelectedOptionIds: ["b"],
      minSelected: 1,
      maxSelected: 2,
    };
    expect(selectCheckboxOptions(payload, undefined)).toEqual(["b"]);
    expect(selectCheckboxOptions(payload, ["c", "a", "c"])).toEqual(["a", "c"]);
    expect(code(() => selectCheckboxOptions(payload, []))).toMatch(/rule_violation: Select at least 1/);
    expect(code(() => selectCheckboxOptions(payload, ["a", "b", "c"]))).toMatch(/no more than 2/);
    expect(code(() => selectCheckboxOptions(payload, ["z"]))).toMatch(/Unknown checkbox confirmation optionId: z/);
  });

  it("suggested tasks: parents first, a child needs its parent chain, skipped keys reported", () => {
    const payload = {
      version: 1 as const,
      tasks: [
        { clientKey: "leaf", title: "L", parentClientKey: "mid" },
        { clientKey: "mid", title: "M", parentClientKey: "root" },
        { clientKey: "root", title: "R" },
        { clientKey: "solo", title: "S" },
      ],
    };
    const all = selectSuggestedTasks(payload, undefined);
    expect(all.ordered.map((t) => t.clientKey)).toEqual(["root", "mid", "leaf", "solo"]);
    expect(all.skippedClientKeys).toEqual([]);
    expect(selectSuggestedTasks(payload, ["solo"]).skippedClientKeys).toEqual(["leaf", "mid", "root"]);
    expect(code(() => selectSuggestedTasks(payload, ["leaf", "mid"]))).toMatch(/requires its parent root/);
    expect(code(() => selectSuggestedTasks(payload, []))).toMatch(/at least one/);
    expect(code(() => selectSuggestedTasks(payload, ["nope"]))).toMatch(/Unknown suggested task clientKey/);
  });

  it("question answers: unknown ids, duplicates, single selection, required", () => {
    const payload = {
      version: 1 as const,
      questions: [
        {
          id: "q1",
          prompt: "?",
          selectionMode: "single" as const,
          required: true,
          options: [
            { id: "a", label: "A" },
            { id: "b", label: "B" },
          ],
        },
        {
          id: "q2",
          prompt: "?",
          selectionMode: "multi" as const,
          options: [
            { id: "x", label: "X" },
            { id: "y", label: "Y" },
          ],
        },
      ],
    };
    expect(
      normalizeAnswers(payload, [
        { questionId: "q2", optionIds: ["y", "x", "y"] },
        { questionId: "q1", optionIds: [], otherText: " mine " },
      ]),
    ).toEqual([
      { questionId: "q1", optionIds: [], otherText: "mine" },
      { questionId: "q2", optionIds: ["y", "x"] },
    ]);
    expect(code(() => normalizeAnswers(payload, [{ questionId: "q2", optionIds: [] }]))).toMatch(/Question q1 requires an answer/);
    expect(code(() => normalizeAnswers(payload, [{ questionId: "q1", optionIds: ["a", "b"] }]))).toMatch(/only allows one answer/);
    expect(
      code(() =>
        normalizeAnswers(payload, [
          { questionId: "q1", optionIds: ["a"] },
          { questionId: "q1", optionIds: ["a"] },
        ]),
      ),
    ).toMatch(/Duplicate/);
    expect(code(() => normalizeAnswers(payload, [{ questionId: "q1", optionIds: ["zz"] }]))).toMatch(/Unknown optionId/);
    expect(code(() => normalizeAnswers(payload, [{ questionId: "q9", optionIds: [] }]))).toMatch(/Unknown questionId/);
  });

  it("verdicts: first verdict wins, reasons where required, complete when all are in", () => {
    const payload = {
      version: 1 as const,
      prompt: "p",
      items: [
        { id: "a", label: "A" },
        { id: "b", label: "B" },
      ],
    };
    const at = "2026-01-01T00:00:00.000Z";
    const first = applyVerdicts(payload, [], [{ id: "b", verdict: "approve" }], { userId: "u" }, at);
    expect(first).toEqual({
      items: [{ id: "b", verdict: "approve", resolvedByUserId: "u", resolvedAt: at }],
      complete: false,
      newlyResolvedItemIds: ["b"],
    });
    const second = applyVerdicts(
      payload,
      first.items,
      [
        { id: "b", verdict: "reject", reason: "r" },
        { id: "a", verdict: "reject", reason: "why" },
      ],
      { agentId: "g" },
      at,
    );
    expect(second.complete).toBe(true);
    expect(second.newlyResolvedItemIds).toEqual(["a"]);
    expect(second.items.map((i) => [i.id, i.verdict])).toEqual([
      ["a", "reject"],
      ["b", "approve"],
    ]);
    expect(code(() => applyVerdicts(payload, [], [{ id: "a", verdict: "reject" }], {}, at))).toMatch(/reason is required/);
    expect(code(() => applyVerdicts(payload, [], [{ id: "a", verdict: "defer" }], {}, at))).toMatch(/not enabled/);
    expect(code(() => applyVerdicts(payload, [], [{ id: "q", verdict: "approve" }], {}, at))).toMatch(/Unknown item verdict id/);
  });
});
