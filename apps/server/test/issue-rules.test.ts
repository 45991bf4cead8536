import { describe, expect, it } from "vitest";
import { ISSUE_LIST_LIMIT_DEFAULT, ISSUE_LIST_LIMIT_MAX, ISSUE_PRIORITIES, ISSUE_STATUSES } from "@staple/contracts";
import { DomainError } from "../src/errors.js";
import { assertAssignmentRules, initialStatusTimestamps, statusEffects, type AssignmentState } from "../src/issues/status-rules.js";
import { buildIssueListQuery, parseStatusList } from "../src/issues/list-query.js";
import { parseMentions, type MentionCandidate } from "../src/issues/mentions.js";

// Pure unit tests: no database, no app.

const AGENT_A = "11111111-1111-4111-8111-111111111111";
const AGENT_B = "22222222-2222-4222-8222-222222222222";
const LOCK_COLUMNS = {
  checkout_run_id: "NULL",
  execution_run_id: "NULL",
  execution_agent_name_key: "NULL",
  execution_locked_at: "NULL",
};

const state = (status: string, assigneeAgentId: string | null = AGENT_A, assigneeUserId: string | null = null): AssignmentState => ({
  status,
  assigneeAgentId,
  assigneeUserId,
});

function thrown(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error("expected a DomainError, nothing was thrown");
}

describe("assertAssignmentRules", () => {
  const ok: [string, AssignmentState][] = [
    ["backlog, nobody", state("backlog", null)],
    ["todo, nobody", state("todo", null)],
    ["done, nobody", state("done", null)],
    ["blocked, nobody", state("blocked", null)],
    ["in_progress, agent", state("in_progress", AGENT_A)],
    ["in_progress, user", state("in_progress", null, "local-board")],
    ["todo, user", state("todo", null, "local-board")],
  ];
  it.each(ok)("accepts %s", (_label, next) => {
    expect(() => assertAssignmentRules(next)).not.toThrow();
  });

  it("rejects two assignees with a 422-kind rule violation", () => {
    for (const status of ISSUE_STATUSES) {
      const error = thrown(() => assertAssignmentRules(state(status, AGENT_A, "local-board")));
      expect(error.kind).toBe("rule_violation");
      expect(error.code).toBe("two_assignees");
    }
  });

  it("rejects in_progress without an assignee", () => {
    const error = thrown(() => assertAssignmentRules(state("in_progress", null, null)));
    expect(error.kind).toBe("rule_violation");
    expect(error.code).toBe("in_progress_without_assignee");
  });
});

describe("statusEffects", () => {
  const cases: [string, AssignmentState, AssignmentState, Record<string, string>, boolean][] = [
    ["nothing changes", state("todo"), state("todo"), {}, false],
    ["todo -> in_progress stamps startedAt", state("todo"), state("in_progress"), { started_at: "now()" }, false],
    ["backlog -> in_progress stamps startedAt", state("backlog"), state("in_progress"), { started_at: "now()" }, false],
    ["todo -> done stamps completedAt", state("todo"), state("done"), { completed_at: "now()" }, false],
    ["done -> todo clears completedAt", state("done"), state("todo"), { completed_at: "NULL" }, false],
    ["todo -> cancelled stamps cancelledAt", state("todo"), state("cancelled"), { cancelled_at: "now()" }, false],
    ["cancelled -> backlog clears cancelledAt", state("cancelled"), state("backlog"), { cancelled_at: "NULL" }, false],
    ["done -> cancelled swaps the stamps", state("done"), state("cancelled"), { completed_at: "NULL", cancelled_at: "now()" }, false],
    ["cancelled -> done swaps the stamps", state("cancelled"), state("done"), { completed_at: "now()", cancelled_at: "NULL" }, false],
    ["in_progress -> in_review releases locks", state("in_progress"), state("in_review"), { ...LOCK_COLUMNS }, true],
    ["in_progress -> todo releases locks", state("in_progress"), state("todo"), { ...LOCK_COLUMNS }, true],
    ["in_progress -> blocked releases locks", state("in_progress"), state("blocked"), { ...LOCK_COLUMNS }, true],
    ["in_progress -> done completes and releases", state("in_progress"), state("done"), { completed_at: "now()", ...LOCK_COLUMNS }, true],
    [
      "in_progress -> cancelled cancels and releases",
      state("in_progress"),
      state("cancelled"),
      { cancelled_at: "now()", ...LOCK_COLUMNS },
      true,
    ],
    ["staying in_progress with the same assignee keeps locks", state("in_progress"), state("in_progress"), {}, false],
    [
      "in_progress, new agent assignee releases locks",
      state("in_progress", AGENT_A),
      state("in_progress", AGENT_B),
      { ...LOCK_COLUMNS },
      true,
    ],
    ["todo, agent unassigned releases locks", state("todo", AGENT_A), state("todo", null), { ...LOCK_COLUMNS }, true],
    ["todo, agent assigned releases locks", state("todo", null), state("todo", AGENT_A), { ...LOCK_COLUMNS }, true],
    ["todo, agent -> user assignee releases locks", state("todo", AGENT_A), state("todo", null, "local-board"), { ...LOCK_COLUMNS }, true],
    ["todo, user -> agent assignee releases locks", state("todo", null, "local-board"), state("todo", AGENT_A), { ...LOCK_COLUMNS }, true],
    [
      "todo -> in_progress with a new assignee stamps and releases",
      state("todo", null),
      state("in_progress", AGENT_A),
      { started_at: "now()", ...LOCK_COLUMNS },
      true,
    ],
    ["in_review -> done (never in_progress) keeps locks", state("in_review"), state("done"), { completed_at: "now()" }, false],
  ];

  it.each(cases)("%s", (_label, prev, next, set, clearLocks) => {
    const effects = statusEffects(prev, next);
    expect(effects.set).toEqual(set);
    expect(effects.clearLocks).toBe(clearLocks);
  });

  it("initialStatusTimestamps stamps only the new status' own timestamp", () => {
    expect(initialStatusTimestamps("backlog")).toEqual({});
    expect(initialStatusTimestamps("todo")).toEqual({});
    expect(initialStatusTimestamps("in_review")).toEqual({});
    expect(initialStatusTimestamps("blocked")).toEqual({});
    expect(initialStatusTimestamps("in_progress")).toEqual({ started_at: "now()" });
    expect(initialStatusTimestamps("done")).toEqual({ completed_at: "now()" });
    expect(initialStatusTimestamps("cancelled")).toEqual({ cancelled_at: "now()" });
  });
});

describe("parseStatusList", () => {
  it.each([
    [undefined, undefined],
    ["", undefined],
    [" , ,", undefined],
    ["todo", ["todo"]],
    ["todo,in_progress", ["todo", "in_progress"]],
    [" todo , in_progress ", ["todo", "in_progress"]],
    ["todo,,done,", ["todo", "done"]],
    [ISSUE_STATUSES.join(","), [...ISSUE_STATUSES]],
  ] as [string | undefined, string[] | undefined][])("%j -> %j", (raw, expected) => {
    expect(parseStatusList(raw)).toEqual(expected);
  });

  it("an unknown status is a validation error naming it", () => {
    const error = thrown(() => parseStatusList("todo,doing"));
    expect(error.kind).toBe("validation");
    expect(error.message).toContain("doing");
    expect(error.message).not.toContain("todo,");
    expect(error.details).toEqual([expect.objectContaining({ path: ["status"] })]);
  });

  it("names every unknown status, and statuses are case-sensitive", () => {
    const error = thrown(() => parseStatusList("TODO,todo,open"));
    expect(error.message).toContain("TODO");
    expect(error.message).toContain("open");
  });
});

describe("buildIssueListQuery", () => {
  const CID = "33333333-3333-4333-8333-333333333333";
  const squash = (sql: string) => sql.replace(/\s+/g, " ").trim();

  it("defaults: company scope, hidden excluded, updated desc, id tie-break, limit 500 offset 0", () => {
    const { sql, params } = buildIssueListQuery(CID, {});
    const s = squash(sql);
    expect(params).toEqual([CID]);
    expect(s).toContain("WHERE company_id = $1 AND hidden_at IS NULL ORDER BY");
    expect(s).toMatch(/ORDER BY updated_at DESC, id DESC LIMIT 500 OFFSET 0$/);
    expect(ISSUE_LIST_LIMIT_DEFAULT).toBe(500);
    expect(s).not.toContain("ILIKE");
  });

  it("status list becomes one ANY parameter", () => {
    const { sql, params } = buildIssueListQuery(CID, { statuses: ["todo", "in_progress"] });
    expect(params).toEqual([CID, ["todo", "in_progress"]]);
    expect(squash(sql)).toContain("status = ANY($2::text[])");
  });

  it('assigneeAgentId "null" means unassigned (no parameter); a uuid is bound', () => {
    const none = buildIssueListQuery(CID, { assigneeAgentId: "null" });
    expect(none.params).toEqual([CID]);
    expect(squash(none.sql)).toContain("assignee_agent_id IS NULL");
    const one = buildIssueListQuery(CID, { assigneeAgentId: AGENT_A });
    expect(one.params).toEqual([CID, AGENT_A]);
    expect(squash(one.sql)).toContain("assignee_agent_id = $2");
    expect(squash(one.sql)).not.toContain("assignee_agent_id IS NULL");
  });

  it('parentId "null" means top level; a uuid is bound', () => {
    const top = buildIssueListQuery(CID, { parentId: "null" });
    expect(top.params).toEqual([CID]);
    expect(squash(top.sql)).toContain("parent_id IS NULL");
    const under = buildIssueListQuery(CID, { parentId: AGENT_B });
    expect(under.params).toEqual([CID, AGENT_B]);
    expect(squash(under.sql)).toContain("parent_id = $2");
  });

  it("numbers parameters in the order filters are added", () => {
    const { sql, params } = buildIssueListQuery(CID, {
      statuses: ["todo"],
      assigneeAgentId: AGENT_A,
      assigneeUser: "local-board",
      projectId: AGENT_B,
      goalId: CID,
      originKind: "manual",
      originId: "x",
    });
    const s = squash(sql);
    expect(params).toEqual([CID, ["todo"], AGENT_A, "local-board", AGENT_B, CID, "manual", "x"]);
    for (const fragment of [
      "status = ANY($2::text[])",
      "assignee_agent_id = $3",
      "assignee_user_id = $4",
      "project_id = $5",
      "goal_id = $6",
      "origin_kind = $7",
      "origin_id = $8",
    ]) {
      expect(s).toContain(fragment);
    }
  });

  it("q searches title, identifier and description with one escaped ILIKE parameter", () => {
    const { sql, params } = buildIssueListQuery(CID, { q: "  50%_off\\now " });
    expect(params).toEqual([CID, "%50\\%\\_off\\\\now%"]);
    expect(squash(sql)).toContain("(title ILIKE $2 OR identifier ILIKE $2 OR description ILIKE $2)");
  });

  it("a blank q adds no filter", () => {
    const { sql, params } = buildIssueListQuery(CID, { q: "   " });
    expect(params).toEqual([CID]);
    expect(sql).not.toContain("ILIKE");
  });

  it("limit is clamped to the maximum; offset is used as given", () => {
    expect(squash(buildIssueListQuery(CID, { limit: 5000 }).sql)).toMatch(new RegExp(`LIMIT ${ISSUE_LIST_LIMIT_MAX} OFFSET 0$`));
    expect(squash(buildIssueListQuery(CID, { limit: 1000 }).sql)).toMatch(/LIMIT 1000 OFFSET 0$/);
    expect(squash(buildIssueListQuery(CID, { limit: 7, offset: 21 }).sql)).toMatch(/LIMIT 7 OFFSET 21$/);
    // A huge offset stays a valid bigint literal (past the end is simply an empty page).
    expect(squash(buildIssueListQuery(CID, { offset: 1e20 }).sql)).toMatch(/LIMIT 500 OFFSET 9007199254740991$/);
    expect(squash(buildIssueListQuery(CID, { offset: Infinity }).sql)).toMatch(/OFFSET 9007199254740991$/);
  });

  const priorityCase = `CASE priority ${ISSUE_PRIORITIES.map((p, i) => `WHEN '${p}' THEN ${i}`).join(" ")} END`;
  const statusCase = `CASE status ${ISSUE_STATUSES.map((p, i) => `WHEN '${p}' THEN ${i}`).join(" ")} END`;
  it.each([
    ["updated", undefined, "updated_at DESC, id DESC"],
    ["created", undefined, "created_at DESC, id DESC"],
    ["priority", undefined, `${priorityCase} ASC, id ASC`],
    ["status", undefined, `${statusCase} ASC, id ASC`],
    ["title", undefined, "lower(title) ASC, id ASC"],
    ["identifier", undefined, "issue_number ASC, id ASC"],
    ["updated", "asc", "updated_at ASC, id ASC"],
    ["created", "asc", "created_at ASC, id ASC"],
    ["priority", "desc", `${priorityCase} DESC, id DESC`],
    ["title", "desc", "lower(title) DESC, id DESC"],
    ["identifier", "desc", "issue_number DESC, id DESC"],
  ] as const)("sortField=%s sortDir=%s -> ORDER BY %s", (sortField, sortDir, order) => {
    const { sql } = buildIssueListQuery(CID, { sortField, sortDir });
    expect(squash(sql)).toContain(`ORDER BY ${order} LIMIT`);
  });
});

describe("parseMentions", () => {
  const ECHO = "aaaaaaaa-0000-4000-8000-000000000001";
  const ECHO_BOT = "aaaaaaaa-0000-4000-8000-000000000002";
  const PLUS = "aaaaaaaa-0000-4000-8000-000000000003";
  const agents: MentionCandidate[] = [
    { id: ECHO, name: "Echo", urlKey: "echo" },
    { id: ECHO_BOT, name: "Echo Bot", urlKey: "echo-bot" },
    { id: PLUS, name: "C++ Helper", urlKey: "c-helper" },
  ];

  it.each([
    ["longest name wins: @Echo Bot is not also @Echo", "hi @Echo Bot please", [ECHO_BOT]],
    ["the shorter name alone", "hi @Echo please", [ECHO]],
    ["a longer word after the short name is not the long name", "@Echo Botany is a word", [ECHO]],
    ["case-insensitive names", "@ECHO BOT and @echo", [ECHO_BOT, ECHO]],
    ["url key", "ping @echo-bot now", [ECHO_BOT]],
    ["url key is not read as the shorter name", "@echo-bot", [ECHO_BOT]],
    ["punctuation after a name ends it", "thanks @Echo. And @Echo Bot, too!", [ECHO, ECHO_BOT]],
    ["start and end of the body", "@Echo", [ECHO]],
    ["regex characters in a name", "ask @C++ Helper", [PLUS]],
    ["e-mail addresses are not mentions", "mail echo@echo.com or ops@Echo Bot.io", []],
    ["not inside a word", "foo@Echo", []],
    ["unknown names are ignored", "@Nobody and @Echoes", []],
    ["order of first mention", "@Echo Bot first, then @Echo", [ECHO_BOT, ECHO]],
    ["order of first mention, reversed", "@Echo first, then @Echo Bot", [ECHO, ECHO_BOT]],
    ["duplicates once", "@Echo @echo @ECHO and @Echo again", [ECHO]],
    ["no @ at all", "nothing here", []],
  ] as [string, string, string[]][])("%s", (_label, body, expected) => {
    expect(parseMentions(body, agents)).toEqual(expected);
  });

  it("agent:// links mention by id, and their display text is not read again", () => {
    expect(parseMentions(`see [@Echo Bot](agent://${ECHO_BOT})`, agents)).toEqual([ECHO_BOT]);
    // The display text names Echo but the link points at Echo Bot: the id wins, Echo is not mentioned.
    expect(parseMentions(`see [@Echo](agent://${ECHO_BOT})`, agents)).toEqual([ECHO_BOT]);
    expect(parseMentions(`[@X](agent://${ECHO.toUpperCase()})`, agents)).toEqual([ECHO]);
  });

  it("links to unknown agents are ignored; links and names are ordered together", () => {
    const stranger = "bbbbbbbb-0000-4000-8000-000000000009";
    expect(parseMentions(`[@Ghost](agent://${stranger})`, agents)).toEqual([]);
    expect(parseMentions(`@Echo then [@Echo Bot](agent://${ECHO_BOT}) then @Echo Bot`, agents)).toEqual([ECHO, ECHO_BOT]);
    expect(parseMentions(`[@Echo Bot](agent://${ECHO_BOT}) then @Echo`, agents)).toEqual([ECHO_BOT, ECHO]);
  });

  it("without candidates nothing is mentioned", () => {
    expect(parseMentions("@Echo Bot", [])).toEqual([]);
  });
});
