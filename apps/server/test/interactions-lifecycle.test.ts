import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { waitFor } from "./helpers/test-server.js";
import { act, actors, createCard, newIssue, payloads } from "./helpers/interaction-fixtures.js";
import type { LiveEvent } from "../src/live/bus.js";

/**
 * What happens to interactions around them: a newer document revision stales them, a board comment
 * supersedes them, closing the issue expires them, accepted suggested tasks become sub-issues, a
 * resolution wakes the assignee, and every change is an activity row announced on the live feed.
 */
const t = useTestApp();
const db = () => t.current.tdb.db;

async function putPlan(issueId: string, body: string, baseRevisionId?: string) {
  const res = await t.current.put(`/api/issues/${issueId}/documents/plan`, {
    format: "markdown",
    body,
    ...(baseRevisionId ? { baseRevisionId } : {}),
  });
  expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
  return res.body as { id: string; latestRevisionId: string; latestRevisionNumber: number };
}

const cardsOf = async (issueId: string) => (await t.current.get(`/api/issues/${issueId}/interactions`)).body as any[];

/** Wakeup requests that carry this interaction (the continuation path), oldest first. */
const wakesFor = (interactionId: string) =>
  db().query<{ agentId: string; reason: string; status: string; runId: string | null; payload: Record<string, any> }>(
    "SELECT agent_id, reason, status, run_id, payload FROM agent_wakeup_requests WHERE payload->>'interactionId' = $1 ORDER BY requested_at",
    [interactionId],
  );

describe("document revision target", () => {
  it("a newer revision of the targeted document stales the pending card (409 interaction_stale_target afterwards)", async () => {
    const { company, creator } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const doc = await putPlan(issue.id, "v1");
    const target = { type: "issue_document", key: "plan", documentId: doc.id, revisionId: doc.latestRevisionId, revisionNumber: 1 };
    const stale = await t.current.post(`/api/issues/${issue.id}/interactions`, {
      kind: "request_confirmation",
      payload: { ...payloads.request_confirmation(), target: { ...target, revisionId: "00000000-0000-4000-8000-000000000000" } },
    });
    expect(stale.status).toBe(422);
    expect(stale.body.code).toBe("interaction_target_not_current");
    const card = await createCard(
      t.current,
      issue.id,
      { kind: "request_confirmation", payload: { ...payloads.request_confirmation(), target } },
      creator,
    );
    const checklist = await createCard(
      t.current,
      issue.id,
      { kind: "request_item_verdicts", payload: { ...payloads.request_item_verdicts(), target } },
      creator,
    );
    const untargeted = await createCard(t.current, issue.id, {
      kind: "request_checkbox_confirmation",
      payload: payloads.request_checkbox_confirmation(),
    });
    await act(t.current, issue.id, checklist.id, "verdicts", { verdicts: [{ id: "api", verdict: "approve" }] });

    const v2 = await putPlan(issue.id, "v2", doc.latestRevisionId);
    const cards = await cardsOf(issue.id);
    const byId = (id: string) => cards.find((c) => c.id === id);
    expect(byId(card.id)).toMatchObject({
      status: "expired",
      result: { outcome: "stale_target", staleTarget: { revisionId: doc.latestRevisionId } },
      payload: { target: { revisionId: v2.latestRevisionId, revisionNumber: 2 } },
    });
    // Verdicts already given survive in the stale result.
    expect(byId(checklist.id)).toMatchObject({
      status: "expired",
      result: { outcome: "stale_target", complete: false, items: [{ id: "api", verdict: "approve" }] },
    });
    expect(byId(untargeted.id).status).toBe("pending");
    const late = await act(t.current, issue.id, card.id, "accept");
    expect(late.status).toBe(409);
    expect(late.body.code).toBe("interaction_stale_target");
    // A card bound to the new revision is fine until the document is deleted.
    const fresh = await createCard(t.current, issue.id, {
      kind: "request_confirmation",
      payload: { ...payloads.request_confirmation(), target: { type: "issue_document", key: "plan", revisionId: v2.latestRevisionId } },
    });
    expect((await t.current.del(`/api/issues/${issue.id}/documents/plan`)).status).toBe(200);
    expect((await cardsOf(issue.id)).find((c) => c.id === fresh.id)).toMatchObject({
      status: "expired",
      result: { outcome: "stale_target" },
    });
  });
});

describe("board comment supersedes", () => {
  it("a board comment expires pending supersedable cards; an agent's comment does not; supersedeOnUserComment:false opts out", async () => {
    const { company, creator } = await actors(t.current);
    const issue = await newIssue(t.current, company.id, { assigneeAgentId: creator.id });
    const confirm = await createCard(
      t.current,
      issue.id,
      { kind: "request_confirmation", payload: payloads.request_confirmation() },
      creator,
    );
    const question = await createCard(t.current, issue.id, { kind: "ask_user_questions", payload: payloads.ask_user_questions() }, creator);
    const keep = await createCard(t.current, issue.id, {
      kind: "request_checkbox_confirmation",
      payload: { ...payloads.request_checkbox_confirmation(), supersedeOnUserComment: false },
    });
    const tasks = await createCard(t.current, issue.id, { kind: "suggest_tasks", payload: payloads.suggest_tasks() }, creator);

    const agentComment = await t.current.post(
      `/api/issues/${issue.id}/comments`,
      { body: "still working" },
      { token: creator.token, runId: creator.runId },
    );
    expect(agentComment.status).toBe(201);
    expect((await cardsOf(issue.id)).every((c) => c.status === "pending")).toBe(true);

    const comment = await t.current.post(`/api/issues/${issue.id}/comments`, { body: "Actually, do it differently." });
    expect(comment.status).toBe(201);
    const cards = await cardsOf(issue.id);
    const byId = (id: string) => cards.find((c) => c.id === id);
    expect(byId(confirm.id)).toMatchObject({
      status: "expired",
      result: { outcome: "superseded_by_comment", commentId: comment.body.id },
      resolvedByUserId: "local-board",
    });
    expect(byId(question.id)).toMatchObject({
      status: "expired",
      result: { expirationReason: "superseded_by_comment", commentId: comment.body.id, answers: [] },
    });
    expect(byId(keep.id).status).toBe("pending");
    expect(byId(tasks.id).status).toBe("pending");
    expect((await act(t.current, issue.id, confirm.id, "accept")).body.code).toBe("interaction_superseded");
    // A board PATCH with a comment supersedes too.
    const again = await createCard(
      t.current,
      issue.id,
      { kind: "request_confirmation", payload: payloads.request_confirmation() },
      creator,
    );
    expect((await t.current.patch(`/api/issues/${issue.id}`, { comment: "One more thing" })).status).toBe(200);
    expect((await cardsOf(issue.id)).find((c) => c.id === again.id).status).toBe("expired");
  });
});

describe("issue closed", () => {
  it("done expires every pending card with issue_closed (no wake); creating or acting afterwards is 409", async () => {
    const { company, creator } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const a = await createCard(
      t.current,
      issue.id,
      { kind: "request_confirmation", continuationPolicy: "wake_assignee", payload: payloads.request_confirmation() },
      creator,
    );
    const b = await createCard(t.current, issue.id, { kind: "ask_user_questions", payload: payloads.ask_user_questions() }, creator);
    const resolved = await createCard(t.current, issue.id, {
      kind: "request_checkbox_confirmation",
      payload: payloads.request_checkbox_confirmation(),
    });
    await act(t.current, issue.id, resolved.id, "accept");
    expect((await t.current.patch(`/api/issues/${issue.id}`, { status: "done" })).status).toBe(200);
    const cards = await cardsOf(issue.id);
    expect(cards.find((c) => c.id === a.id)).toMatchObject({ status: "expired", result: { outcome: "issue_closed" } });
    expect(cards.find((c) => c.id === b.id)).toMatchObject({ status: "expired", result: { outcome: "issue_closed", answers: [] } });
    expect(cards.find((c) => c.id === resolved.id).status).toBe("accepted");
    expect(await wakesFor(a.id)).toEqual([]);
    const late = await act(t.current, issue.id, a.id, "accept");
    expect([late.status, late.body.code]).toEqual([409, "interaction_issue_closed"]);
    const create = await t.current.post(`/api/issues/${issue.id}/interactions`, {
      kind: "request_confirmation",
      payload: payloads.request_confirmation(),
    });
    expect([create.status, create.body.code]).toEqual([409, "interaction_issue_closed"]);
  });

  it("a card left pending on an issue closed outside the status path is expired when listed", async () => {
    const { company } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const card = await createCard(t.current, issue.id, { kind: "request_confirmation", payload: payloads.request_confirmation() });
    await db().query("UPDATE issues SET status = 'cancelled', cancelled_at = now() WHERE id = $1", [issue.id]);
    expect((await cardsOf(issue.id)).find((c) => c.id === card.id)).toMatchObject({
      status: "expired",
      result: { outcome: "issue_closed" },
    });
  });
});

describe("suggested tasks", () => {
  it("accepting creates the selected tasks as sub-issues (parent first) with the suggested fields, atomically", async () => {
    const { company, creator, other } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const payload = {
      version: 1,
      tasks: [
        { clientKey: "api", title: "Build the API", description: "REST endpoints", priority: "high", assigneeAgentId: other.id },
        { clientKey: "docs", title: "Document the API", parentClientKey: "api", priority: "low" },
        { clientKey: "extra", title: "Optional polish" },
      ],
    };
    const card = await createCard(t.current, issue.id, { kind: "suggest_tasks", payload }, creator);
    const missingParent = await act(t.current, issue.id, card.id, "accept", { selectedClientKeys: ["docs"] });
    expect(missingParent.status).toBe(422);
    const res = await act(t.current, issue.id, card.id, "accept", { selectedClientKeys: ["docs", "api"] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: "accepted", result: { version: 1, skippedClientKeys: ["extra"] } });
    const [api, docs] = res.body.result.createdTasks;
    expect(api).toMatchObject({ clientKey: "api", parentIssueId: issue.id, parentIdentifier: issue.identifier, title: "Build the API" });
    expect(docs).toMatchObject({ clientKey: "docs", parentIssueId: api.issueId, parentIdentifier: api.identifier });
    const child = (await t.current.get(`/api/issues/${api.issueId}`)).body;
    expect(child).toMatchObject({
      parentId: issue.id,
      title: "Build the API",
      description: "REST endpoints",
      priority: "high",
      assigneeAgentId: other.id,
      status: "todo",
    });
    expect((await t.current.get(`/api/issues/${docs.issueId}`)).body).toMatchObject({
      parentId: api.issueId,
      priority: "low",
      assigneeAgentId: null,
    });
    // The assigned sub-issue woke its assignee through the normal assignment path.
    const [wake] = await db().query<{ reason: string }>(
      "SELECT reason FROM agent_wakeup_requests WHERE agent_id = $1 AND payload->>'issueId' = $2",
      [other.id, api.issueId],
    );
    expect(wake?.reason).toBe("issue_assigned");
  });

  it("a bad suggestion (an assignee of another company) rolls the whole acceptance back", async () => {
    const { company } = await actors(t.current);
    const foreign = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const payload = {
      version: 1,
      tasks: [
        { clientKey: "a", title: "A" },
        { clientKey: "b", title: "B", assigneeAgentId: foreign.other.id },
      ],
    };
    const card = await createCard(t.current, issue.id, { kind: "suggest_tasks", payload });
    const res = await act(t.current, issue.id, card.id, "accept");
    expect([res.status, res.body.code]).toEqual([422, "suggested_task_reference_invalid"]);
    expect((await cardsOf(issue.id))[0].status).toBe("pending");
    expect(await db().query("SELECT id FROM issues WHERE parent_id = $1", [issue.id])).toEqual([]);
  });
});

describe("continuation", () => {
  it("a resolution wakes the assignee with reason issue_commented and the interaction in the context", async () => {
    const { company, creator } = await actors(t.current);
    // Backlog: the assignment itself wakes nobody, so the continuation queues a run of its own.
    const issue = await newIssue(t.current, company.id, { assigneeAgentId: creator.id, status: "backlog" });
    const card = await createCard(
      t.current,
      issue.id,
      { kind: "request_checkbox_confirmation", payload: payloads.request_checkbox_confirmation() },
      creator,
    );
    expect(await wakesFor(card.id)).toEqual([]);
    await act(t.current, issue.id, card.id, "accept", { selectedOptionIds: ["tmp"] });
    const [wake] = await wakesFor(card.id);
    expect(wake).toMatchObject({
      agentId: creator.id,
      reason: "issue_commented",
      status: "queued",
      payload: {
        issueId: issue.id,
        interactionId: card.id,
        interactionKind: "request_checkbox_confirmation",
        interactionStatus: "accepted",
        checkboxSelection: { selectedOptionIds: ["tmp"] },
      },
    });
    expect(wake!.runId).not.toBeNull();
    const [run] = await db().query<{ contextSnapshot: Record<string, unknown> }>(
      "SELECT context_snapshot FROM heartbeat_runs WHERE id = $1",
      [wake!.runId],
    );
    expect(run!.contextSnapshot).toMatchObject({
      issueId: issue.id,
      interactionId: card.id,
      wakeReason: "issue_commented",
      source: "issue.interaction.accept",
    });
  });

  it("policies: none never wakes; wake_assignee_on_accept skips a rejection; partial verdicts wake with the new item ids", async () => {
    const { company, creator } = await actors(t.current);
    const issue = await newIssue(t.current, company.id, { assigneeAgentId: creator.id });
    const none = await createCard(t.current, issue.id, { kind: "request_confirmation", payload: payloads.request_confirmation() }, creator);
    await act(t.current, issue.id, none.id, "accept");
    expect(await wakesFor(none.id)).toEqual([]);
    const onAccept = await createCard(t.current, issue.id, {
      kind: "request_checkbox_confirmation",
      continuationPolicy: "wake_assignee_on_accept",
      payload: payloads.request_checkbox_confirmation(),
    });
    await act(t.current, issue.id, onAccept.id, "reject", { reason: "no" });
    expect(await wakesFor(onAccept.id)).toEqual([]);
    const verdicts = await createCard(t.current, issue.id, { kind: "request_item_verdicts", payload: payloads.request_item_verdicts() });
    await act(t.current, issue.id, verdicts.id, "verdicts", { verdicts: [{ id: "api", verdict: "defer" }] });
    // The issue's assignment already queued a run: the continuation folds into it (and its context).
    const [wake] = await wakesFor(verdicts.id);
    const [run] = await db().query<{ contextSnapshot: Record<string, unknown> }>(
      "SELECT context_snapshot FROM heartbeat_runs WHERE id = $1",
      [wake!.runId],
    );
    expect(run!.contextSnapshot).toMatchObject({ interactionId: verdicts.id, newlyResolvedItemIds: ["api"] });
    expect(wake).toMatchObject({
      status: "coalesced",
      payload: { interactionStatus: "pending", newlyResolvedItemIds: ["api"], itemVerdicts: { newlyResolvedItemIds: ["api"] } },
    });
  });

  it("the assignee withdrawing its own card does not wake itself; a board withdrawal does", async () => {
    const { company, creator } = await actors(t.current);
    const issue = await newIssue(t.current, company.id, { assigneeAgentId: creator.id });
    const own = await createCard(t.current, issue.id, { kind: "ask_user_questions", payload: payloads.ask_user_questions() }, creator);
    expect((await act(t.current, issue.id, own.id, "withdraw", {}, creator)).status).toBe(200);
    expect(await wakesFor(own.id)).toEqual([]);
    const board = await createCard(
      t.current,
      issue.id,
      { kind: "ask_user_questions", payload: { ...payloads.ask_user_questions(), title: "second" } },
      creator,
    );
    expect((await act(t.current, issue.id, board.id, "withdraw", { reason: "obsolete" })).status).toBe(200);
    expect((await wakesFor(board.id)).map((w) => w.payload.interactionStatus)).toEqual(["cancelled"]);
  });
});

describe("audit and live feed", () => {
  it("each state change records an activity row, announced live as activity.logged", async () => {
    const { company } = await actors(t.current);
    const issue = await newIssue(t.current, company.id);
    const live = t.current.services.live;
    await live.start();
    const events: LiveEvent[] = [];
    const unsubscribe = live.subscribe(company.id, (event) => events.push(event));
    try {
      const card = await createCard(t.current, issue.id, { kind: "request_confirmation", payload: payloads.request_confirmation() });
      await act(t.current, issue.id, card.id, "reject", { reason: "Request changes" });
      const rows = await db().query<{ action: string; entityId: string; details: Record<string, unknown> }>(
        "SELECT action, entity_id, details FROM activity_log WHERE details->>'interactionId' = $1 ORDER BY created_at, id",
        [card.id],
      );
      expect(rows.map((r) => r.action)).toEqual(["issue.thread_interaction_created", "issue.thread_interaction_rejected"]);
      expect(rows[1]).toMatchObject({
        entityId: issue.id,
        details: { interactionKind: "request_confirmation", interactionStatus: "rejected", rejectionReason: "Request changes" },
      });
      await waitFor("both live activity events", async () => {
        const actions = events.filter((e) => e.type === "activity.logged" && e.payload.entityId === issue.id).map((e) => e.payload.action);
        return actions.includes("issue.thread_interaction_created") && actions.includes("issue.thread_interaction_rejected");
      });
    } finally {
      unsubscribe();
      await live.stop();
    }
  });
});
