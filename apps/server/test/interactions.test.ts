import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { act, actors, createCard, KINDS, newIssue, payloads, type Kind } from "./helpers/interaction-fixtures.js";

/**
 * Issue-thread interactions over HTTP: every kind created and resolved, bad payloads, illegal
 * actions per state, resolver policies and idempotency (Paperclip's routes, fields and codes).
 */
const t = useTestApp();

describe("create and resolve each kind", () => {
  it("request_confirmation: pending card with Paperclip's fields and defaults, then accepted", async () => {
    const { company, creator } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const card = await createCard(
      t.current,
      issue.id,
      { kind: "request_confirmation", title: "Plan approval", payload: payloads.request_confirmation() },
      creator,
    );
    expect(card).toMatchObject({
      issueId: issue.id,
      companyId: company.id,
      kind: "request_confirmation",
      status: "pending",
      continuationPolicy: "none",
      resolverPolicy: "anyone",
      requestedResolverPolicy: "anyone",
      effectiveResolverPolicy: "anyone",
      resolverPolicyProvenance: "inherited",
      legacyResolverPolicyAliases: { requested: "board_or_agents", effective: "board_or_agents" },
      createdByAgentId: creator.id,
      sourceRunId: creator.runId,
      result: null,
      payload: { supersedeOnUserComment: true, prompt: "Accept this plan?" },
    });
    const accepted = await act(t.current, issue.id, card.id, "accept");
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({
      status: "accepted",
      result: { version: 1, outcome: "accepted" },
      resolvedByUserId: "local-board",
    });
    const list = await t.current.get(`/api/issues/${issue.identifier}/interactions`);
    expect(list.body.map((c: any) => [c.id, c.status])).toEqual([[card.id, "accepted"]]);
  });

  it("request_checkbox_confirmation: accepted with the chosen options (defaults when none are sent); rejected needs a reason when asked", async () => {
    const { company } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const a = await createCard(t.current, issue.id, {
      kind: "request_checkbox_confirmation",
      payload: payloads.request_checkbox_confirmation(),
    });
    expect(a.continuationPolicy).toBe("wake_assignee");
    const res = await act(t.current, issue.id, a.id, "accept", { selectedOptionIds: ["tmp", "draft", "tmp"] });
    expect(res.body).toMatchObject({ status: "accepted", result: { outcome: "accepted", selectedOptionIds: ["draft", "tmp"] } });
    const b = await createCard(t.current, issue.id, {
      kind: "request_checkbox_confirmation",
      payload: payloads.request_checkbox_confirmation(),
    });
    expect((await act(t.current, issue.id, b.id, "accept")).body.result.selectedOptionIds).toEqual(["draft"]);
    const c = await createCard(t.current, issue.id, {
      kind: "request_checkbox_confirmation",
      payload: { ...payloads.request_checkbox_confirmation(), rejectRequiresReason: true },
    });
    const noReason = await act(t.current, issue.id, c.id, "reject", {});
    expect(noReason.status).toBe(422);
    expect(noReason.body.code).toBe("interaction_reason_required");
    const rejected = await act(t.current, issue.id, c.id, "reject", { reason: "Keep the draft" });
    expect(rejected.body).toMatchObject({ status: "rejected", result: { outcome: "rejected", reason: "Keep the draft" } });
  });

  it("request_checkbox_confirmation: unknown ids and min/max violations are 422", async () => {
    const { company } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const card = await createCard(t.current, issue.id, {
      kind: "request_checkbox_confirmation",
      payload: payloads.request_checkbox_confirmation(),
    });
    for (const selectedOptionIds of [["nope"], [], ["draft", "tmp", "log"]]) {
      const res = await act(t.current, issue.id, card.id, "accept", { selectedOptionIds });
      expect(res.status, JSON.stringify(selectedOptionIds)).toBe(422);
    }
    expect((await t.current.get(`/api/issues/${issue.id}/interactions`)).body[0].status).toBe("pending");
  });

  it("request_item_verdicts: a partial submit stays pending, resubmits are no-ops, the last item answers it", async () => {
    const { company } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const card = await createCard(t.current, issue.id, { kind: "request_item_verdicts", payload: payloads.request_item_verdicts() });
    const missingReason = await act(t.current, issue.id, card.id, "verdicts", { verdicts: [{ id: "docs", verdict: "reject" }] });
    expect(missingReason.status).toBe(422);
    const partial = await act(t.current, issue.id, card.id, "verdicts", {
      verdicts: [{ id: "docs", verdict: "reject", reason: "Needs install steps" }],
    });
    expect(partial.body).toMatchObject({
      status: "pending",
      result: {
        outcome: "resolved",
        complete: false,
        items: [{ id: "docs", verdict: "reject", reason: "Needs install steps", resolvedByUserId: "local-board" }],
      },
    });
    const again = await act(t.current, issue.id, card.id, "verdicts", { verdicts: [{ id: "docs", verdict: "approve" }] });
    expect(again.body.result.items).toEqual(partial.body.result.items);
    const done = await act(t.current, issue.id, card.id, "verdicts", { verdicts: [{ id: "api", verdict: "approve" }] });
    expect(done.body).toMatchObject({ status: "answered", result: { complete: true } });
    expect(done.body.result.items.map((i: any) => i.id)).toEqual(["api", "docs"]);
    // Answered: resubmitting a decided item is still a 200 no-op; an unknown item is a 422.
    expect(
      (await act(t.current, issue.id, card.id, "verdicts", { verdicts: [{ id: "api", verdict: "reject", reason: "x" }] })).status,
    ).toBe(200);
    expect((await act(t.current, issue.id, card.id, "verdicts", { verdicts: [{ id: "zzz", verdict: "approve" }] })).status).toBe(422);
  });

  it("ask_user_questions: answered with normalized answers; a missing required answer is 422", async () => {
    const { company } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const card = await createCard(t.current, issue.id, {
      kind: "ask_user_questions",
      resolverPolicy: "human_only",
      payload: payloads.ask_user_questions(),
    });
    expect(card).toMatchObject({ resolverPolicy: "human_only", resolverPolicyProvenance: "explicit", continuationPolicy: "wake_assignee" });
    expect((await act(t.current, issue.id, card.id, "respond", { answers: [] })).status).toBe(422);
    const twoForSingle = await act(t.current, issue.id, card.id, "respond", {
      answers: [{ questionId: "responsibility", optionIds: ["research", "writing"] }],
    });
    expect(twoForSingle.status).toBe(422);
    const res = await act(t.current, issue.id, card.id, "respond", {
      answers: [{ questionId: "responsibility", optionIds: ["research"], otherText: "  " }],
      summaryMarkdown: "Research",
    });
    expect(res.body).toMatchObject({
      status: "answered",
      result: { version: 1, answers: [{ questionId: "responsibility", optionIds: ["research"] }], summaryMarkdown: "Research" },
    });
    expect(res.body.result.answers[0]).not.toHaveProperty("otherText");
  });

  it("ask_user_questions: the board may cancel it (agents get 403); any kind may be skipped by the board", async () => {
    const { company, creator } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const q = await createCard(t.current, issue.id, { kind: "ask_user_questions", payload: payloads.ask_user_questions() }, creator);
    expect((await act(t.current, issue.id, q.id, "cancel", {}, creator)).status).toBe(403);
    const cancelled = await act(t.current, issue.id, q.id, "cancel", { reason: "No longer needed" });
    expect(cancelled.body).toMatchObject({
      status: "cancelled",
      result: { cancelled: true, cancellationReason: "No longer needed", answers: [] },
    });
    const c = await createCard(t.current, issue.id, { kind: "request_confirmation", payload: payloads.request_confirmation() });
    const skipped = await act(t.current, issue.id, c.id, "skip", { reason: "later" });
    expect(skipped.body).toMatchObject({ status: "cancelled", result: { outcome: "skipped", reason: "later" } });
  });

  it("suggest_tasks: rejected with a reason; withdrawn by its creator agent", async () => {
    const { company, creator } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const a = await createCard(t.current, issue.id, { kind: "suggest_tasks", payload: payloads.suggest_tasks() }, creator);
    const rejected = await act(t.current, issue.id, a.id, "reject", { reason: "Not now" });
    expect(rejected.body).toMatchObject({ status: "rejected", result: { version: 1, rejectionReason: "Not now" } });
    const b = await createCard(t.current, issue.id, { kind: "suggest_tasks", payload: payloads.suggest_tasks() }, creator);
    const withdrawn = await act(t.current, issue.id, b.id, "withdraw", { reason: "Superseded by a better plan" }, creator);
    expect(withdrawn.body).toMatchObject({
      status: "cancelled",
      result: { outcome: "withdrawn", reason: "Superseded by a better plan" },
      resolvedByAgentId: creator.id,
    });
  });

  it("every kind is accepted by create with a valid payload", async () => {
    const { company } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    for (const kind of KINDS) {
      const card = await createCard(t.current, issue.id, { kind, payload: payloads[kind]() });
      expect(card.kind).toBe(kind);
    }
  });
});

describe("bad payloads are a 400 naming the field", () => {
  const bad: [Kind, (p: any) => unknown, string][] = [
    ["request_confirmation", (p) => ({ ...p, prompt: "" }), "payload.prompt"],
    ["request_confirmation", (p) => ({ ...p, toolAction: { version: 1 } }), "payload"],
    [
      "request_confirmation",
      (p) => ({ ...p, target: { type: "issue_document", key: "plan", revisionId: "not-a-uuid" } }),
      "payload.target.revisionId",
    ],
    ["request_checkbox_confirmation", (p) => ({ ...p, options: [] }), "payload.options"],
    ["request_checkbox_confirmation", (p) => ({ ...p, defaultSelectedOptionIds: ["ghost"] }), "payload.defaultSelectedOptionIds.0"],
    ["request_checkbox_confirmation", (p) => ({ ...p, minSelected: 2, maxSelected: 1 }), "payload.maxSelected"],
    ["request_item_verdicts", (p) => ({ ...p, verdicts: ["approve", "defer"] }), "payload.verdicts"],
    ["request_item_verdicts", (p) => ({ ...p, items: [{ id: "a", label: "A", href: "javascript:alert(1)" }] }), "payload.items.0.href"],
    ["ask_user_questions", (p) => ({ ...p, questions: [{ ...p.questions[0], options: [] }] }), "payload.questions.0.options"],
    ["ask_user_questions", (p) => ({ ...p, questions: [{ id: "q", question: "Why?", type: "text" }] }), "payload.questions.0"],
    ["suggest_tasks", (p) => ({ ...p, tasks: [{ clientKey: "a", title: "" }] }), "payload.tasks.0.title"],
    [
      "suggest_tasks",
      (p) => ({
        ...p,
        tasks: [
          { clientKey: "a", title: "A", parentClientKey: "b" },
          { clientKey: "b", title: "B", parentClientKey: "a" },
        ],
      }),
      "payload.tasks.0.parentClientKey",
    ],
  ];
  it.each(bad)("%s: %s", async (kind, mutate, field) => {
    const { company } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const res = await t.current.post(`/api/issues/${issue.id}/interactions`, { kind, payload: mutate(payloads[kind]()) });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    const paths = (res.body.details as { path: (string | number)[] }[]).map((d) => d.path.join("."));
    expect(
      paths.some((p) => p === field || p.startsWith(`${field}.`)),
      JSON.stringify(res.body.details),
    ).toBe(true);
  });

  it("an unknown kind and an unknown envelope key are 400", async () => {
    const { company } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    expect((await t.current.post(`/api/issues/${issue.id}/interactions`, { kind: "decision", payload: {} })).status).toBe(400);
    const extra = await t.current.post(`/api/issues/${issue.id}/interactions`, {
      kind: "request_confirmation",
      payload: payloads.request_confirmation(),
      bogus: 1,
    });
    expect(extra.status).toBe(400);
    expect(JSON.stringify(extra.body)).toContain("bogus");
  });
});

describe("illegal actions", () => {
  it("acting on a resolved card is 409 interaction_already_resolved; a kind that does not fit is 422", async () => {
    const { company } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const card = await createCard(t.current, issue.id, { kind: "request_confirmation", payload: payloads.request_confirmation() });
    for (const action of ["respond", "verdicts", "cancel"]) {
      const body = action === "respond" ? { answers: [] } : action === "verdicts" ? { verdicts: [{ id: "x", verdict: "approve" }] } : {};
      const res = await act(t.current, issue.id, card.id, action, body);
      expect(res.status, action).toBe(422);
      expect(res.body.code).toBe("interaction_kind_mismatch");
    }
    expect((await act(t.current, issue.id, card.id, "accept")).status).toBe(200);
    for (const action of ["accept", "reject", "withdraw", "skip"]) {
      const res = await act(t.current, issue.id, card.id, action, {});
      expect(res.status, action).toBe(409);
      expect(res.body.code).toBe("interaction_already_resolved");
    }
  });

  it("an unknown or another issue's interaction is 404 interaction_not_found", async () => {
    const { company } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const other = await newIssue(t.current, company.id);
    const card = await createCard(t.current, issue.id, { kind: "request_confirmation", payload: payloads.request_confirmation() });
    expect((await act(t.current, other.id, card.id, "accept")).body.code).toBe("interaction_not_found");
    expect((await act(t.current, issue.id, "00000000-0000-4000-8000-000000000000", "accept")).status).toBe(404);
    expect((await act(t.current, issue.id, "nope", "accept")).status).toBe(404);
  });

  it("an agent must create from a run (401) and only in its own company (404)", async () => {
    const { company, creator } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const noRun = await t.current.post(
      `/api/issues/${issue.id}/interactions`,
      { kind: "request_confirmation", payload: payloads.request_confirmation() },
      { token: creator.token },
    );
    expect(noRun.status).toBe(401);
    expect(noRun.body.code).toBe("agent_run_id_required");
    const foreign = await actors(t.current);
    const res = await t.current.post(
      `/api/issues/${issue.id}/interactions`,
      { kind: "request_confirmation", payload: payloads.request_confirmation() },
      { token: foreign.creator.token, runId: foreign.creator.runId },
    );
    expect(res.status).toBe(404);
  });
});

describe("resolver policies", () => {
  it("not_creator: the creator agent (and its run) gets 403 interaction_creator_excluded; another agent and the board may", async () => {
    const { company, creator, other } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const a = await createCard(
      t.current,
      issue.id,
      { kind: "request_confirmation", resolverPolicy: "not_creator", payload: payloads.request_confirmation() },
      creator,
    );
    const denied = await act(t.current, issue.id, a.id, "accept", {}, creator);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: "interaction_creator_excluded", details: { effectiveResolverPolicy: "not_creator" } });
    const byOther = await act(t.current, issue.id, a.id, "accept", {}, other);
    expect(byOther.body).toMatchObject({ status: "accepted", resolvedByAgentId: other.id, resolvedByRunId: other.runId });
    const b = await createCard(
      t.current,
      issue.id,
      { kind: "request_confirmation", resolverPolicy: "not_creator", payload: payloads.request_confirmation() },
      creator,
    );
    expect((await act(t.current, issue.id, b.id, "reject", { reason: "no" })).status).toBe(200);
  });

  it("not_creator excludes the creating board user too", async () => {
    const { company } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const card = await createCard(t.current, issue.id, {
      kind: "request_confirmation",
      resolverPolicy: "not_creator",
      payload: payloads.request_confirmation(),
    });
    expect((await act(t.current, issue.id, card.id, "accept")).body.code).toBe("interaction_creator_excluded");
  });

  it("human_only (and its legacy alias board_only): an agent gets 403 interaction_human_only, the board may", async () => {
    const { company, creator, other } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    for (const resolverPolicy of ["human_only", "board_only"]) {
      const card = await createCard(
        t.current,
        issue.id,
        { kind: "request_item_verdicts", resolverPolicy, payload: payloads.request_item_verdicts() },
        creator,
      );
      expect(card.effectiveResolverPolicy).toBe("human_only");
      const denied = await act(t.current, issue.id, card.id, "verdicts", { verdicts: [{ id: "api", verdict: "approve" }] }, other);
      expect(denied.status).toBe(403);
      expect(denied.body.code).toBe("interaction_human_only");
      expect((await act(t.current, issue.id, card.id, "verdicts", { verdicts: [{ id: "api", verdict: "approve" }] })).status).toBe(200);
    }
  });

  it("anyone (the default): the creator agent may resolve from a run; without a run it is 422", async () => {
    const { company, creator } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const card = await createCard(t.current, issue.id, { kind: "ask_user_questions", payload: payloads.ask_user_questions() }, creator);
    const noRun = await act(
      t.current,
      issue.id,
      card.id,
      "respond",
      { answers: [{ questionId: "responsibility", optionIds: ["writing"] }] },
      { token: creator.token },
    );
    expect(noRun.status).toBe(422);
    expect(noRun.body.code).toBe("interaction_run_attribution_required");
    const res = await act(
      t.current,
      issue.id,
      card.id,
      "respond",
      { answers: [{ questionId: "responsibility", optionIds: ["writing"] }] },
      creator,
    );
    expect(res.body).toMatchObject({ status: "answered", resolvedByAgentId: creator.id });
  });

  it("an addressed card is for its addressee agent or the board; withdraw is for the creator, the assignee or the board", async () => {
    const { company, creator, other } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const card = await createCard(
      t.current,
      issue.id,
      { kind: "request_confirmation", addresseeAgentId: other.id, payload: payloads.request_confirmation() },
      creator,
    );
    expect((await act(t.current, issue.id, card.id, "accept", {}, creator)).body.code).toBe("interaction_addressee_mismatch");
    expect((await act(t.current, issue.id, card.id, "withdraw", {}, other)).status).toBe(403);
    expect((await act(t.current, issue.id, card.id, "accept", {}, other)).status).toBe(200);
    const self = await t.current.post(
      `/api/issues/${issue.id}/interactions`,
      { kind: "request_confirmation", addresseeAgentId: creator.id, payload: payloads.request_confirmation() },
      { token: creator.token, runId: creator.runId },
    );
    expect(self.status).toBe(422);
  });
});

describe("idempotency", () => {
  it("the same key and request returns the existing card (201, no duplicate); a different request under the key is 409", async () => {
    const { company, creator } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const body = {
      kind: "request_checkbox_confirmation",
      idempotencyKey: `checkbox:${issue.id}:cleanup:v1`,
      payload: payloads.request_checkbox_confirmation(),
    };
    const first = await createCard(t.current, issue.id, body, creator);
    const second = await createCard(t.current, issue.id, body, creator);
    expect(second.id).toBe(first.id);
    expect((await t.current.get(`/api/issues/${issue.id}/interactions`)).body).toHaveLength(1);
    const changed = await t.current.post(
      `/api/issues/${issue.id}/interactions`,
      { ...body, payload: { ...body.payload, prompt: "Other" } },
      { token: creator.token, runId: creator.runId },
    );
    expect(changed.status).toBe(409);
    expect(changed.body).toMatchObject({ code: "interaction_idempotency_conflict", details: { interactionId: first.id } });
    // The key is per issue: another issue may reuse it.
    const elsewhere = await newIssue(t.current, company.id);
    expect((await createCard(t.current, elsewhere.id, body, creator)).id).not.toBe(first.id);
    // A resolved card is still what a retry of its create gets back.
    await act(t.current, issue.id, first.id, "accept");
    expect(await createCard(t.current, issue.id, body, creator)).toMatchObject({ id: first.id, status: "accepted" });
  });

  it("an agent's new confirmation supersedes its own older pending one", async () => {
    const { company, creator } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const older = await createCard(
      t.current,
      issue.id,
      { kind: "request_confirmation", payload: payloads.request_confirmation() },
      creator,
    );
    const newer = await createCard(
      t.current,
      issue.id,
      { kind: "request_confirmation", payload: { ...payloads.request_confirmation(), prompt: "v2?" } },
      creator,
    );
    const cards = (await t.current.get(`/api/issues/${issue.id}/interactions`)).body;
    expect(cards.find((c: any) => c.id === older.id)).toMatchObject({
      status: "expired",
      result: { outcome: "superseded_by_newer_request", supersededByInteractionId: newer.id },
    });
    expect((await act(t.current, issue.id, older.id, "accept")).body.code).toBe("interaction_superseded");
  });
});
