import { beforeAll, describe, expect, it } from "vitest";
import { ISSUE_PRIORITIES, ISSUE_STATUSES } from "@staple/contracts";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent as createAgentFixture, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";
import type { TestApp } from "./helpers/test-app.js";

const t = useTestApp();

/**
 * Agents here never run: these tests are about the issue API, and a woken agent's run may check an
 * issue out, lock it or comment on it while a test is looking. Assignment wakes are still
 * requested, and skipped (`heartbeat.wakeOnDemand.disabled`).
 */
function createAgent(app: TestApp, companyId: string, body: Record<string, unknown> = {}) {
  return createAgentFixture(app, companyId, { runtimeConfig: { heartbeat: { wakeOnDemand: false } }, ...body });
}

type Issue = { id: string; identifier: string; issueNumber: number; title: string; status: string; priority: string; [k: string]: any };

async function list(companyId: string, query = "", token?: string): Promise<Issue[]> {
  const res = await t.current.get(`/api/companies/${companyId}/issues${query ? `?${query}` : ""}`, { token });
  expect(res.status, `${query}: ${JSON.stringify(res.body)}`).toBe(200);
  return res.body as Issue[];
}

const idSet = (issues: { id: string }[]) => new Set(issues.map((i) => i.id));
const sortedIds = (issues: { id: string }[]) => issues.map((i) => i.id).sort();

describe("filters", () => {
  let company: { id: string; issuePrefix: string };
  let agentA: { id: string };
  let agentB: { id: string };
  let project: { id: string };
  let goal: { id: string };
  let all: Record<string, Issue>;

  beforeAll(async () => {
    company = await createCompany(t.current, { name: "Filter Co" });
    agentA = await createAgent(t.current, company.id);
    agentB = await createAgent(t.current, company.id);
    project = (await t.current.post(`/api/companies/${company.id}/projects`, { name: "Proj" })).body;
    goal = (await t.current.post(`/api/companies/${company.id}/goals`, { title: "Goal" })).body;
    const parent = await createIssue(t.current, company.id, { title: "parent" });
    all = {
      parent,
      backlog: await createIssue(t.current, company.id, { title: "backlog one" }),
      todoA: await createIssue(t.current, company.id, { title: "todo A", assigneeAgentId: agentA.id }),
      progressA: await createIssue(t.current, company.id, { title: "progress A", assigneeAgentId: agentA.id, status: "in_progress" }),
      progressB: await createIssue(t.current, company.id, { title: "progress B", assigneeAgentId: agentB.id, status: "in_progress" }),
      doneB: await createIssue(t.current, company.id, { title: "done B", assigneeAgentId: agentB.id, status: "done" }),
      mine: await createIssue(t.current, company.id, { title: "mine", assigneeUserId: "me" }),
      inProject: await createIssue(t.current, company.id, { title: "in project", projectId: project.id, goalId: goal.id }),
      child1: await createIssue(t.current, company.id, { title: "child 1", parentId: parent.id }),
      child2: await createIssue(t.current, company.id, { title: "child 2", parentId: parent.id, projectId: project.id }),
    };
  });

  it("no filter lists every issue of the company and nothing else", async () => {
    const other = await createCompany(t.current);
    await createIssue(t.current, other.id);
    const issues = await list(company.id);
    expect(sortedIds(issues)).toEqual(sortedIds(Object.values(all)));
    expect(issues.every((i) => i.companyId === company.id)).toBe(true);
  });

  it("status takes a comma list", async () => {
    const issues = await list(company.id, "status=todo,in_progress");
    const expected = Object.values(all).filter((i) => i.status === "todo" || i.status === "in_progress");
    expect(expected.length).toBeGreaterThanOrEqual(4);
    expect(sortedIds(issues)).toEqual(sortedIds(expected));
    expect(sortedIds(await list(company.id, "status=done"))).toEqual([all.doneB!.id]);
    expect(await list(company.id, "status=cancelled")).toEqual([]);
    expect(sortedIds(await list(company.id, `status=${encodeURIComponent(" done , in_progress ")}`))).toEqual(
      sortedIds([all.doneB!, all.progressA!, all.progressB!]),
    );
  });

  it("an unknown status -> 400 naming it", async () => {
    const res = await t.current.get(`/api/companies/${company.id}/issues?status=todo,doing`);
    expect(res.status).toBe(400);
    expect(res.body.error).toContain("doing");
    expect(res.body.details[0].path).toEqual(["status"]);
  });

  it("assigneeAgentId=<uuid> and =null", async () => {
    expect(sortedIds(await list(company.id, `assigneeAgentId=${agentA.id}`))).toEqual(sortedIds([all.todoA!, all.progressA!]));
    expect(sortedIds(await list(company.id, `assigneeAgentId=${agentB.id}&status=in_progress`))).toEqual([all.progressB!.id]);
    const unassigned = await list(company.id, "assigneeAgentId=null");
    expect(sortedIds(unassigned)).toEqual(sortedIds(Object.values(all).filter((i) => i.assigneeAgentId === null)));
    expect(unassigned.every((i) => i.assigneeAgentId === null)).toBe(true);
    expect(idSet(unassigned).has(all.mine!.id)).toBe(true);
    expect(await list(company.id, "assigneeAgentId=00000000-0000-4000-8000-000000000000")).toEqual([]);
  });

  it("assigneeAgentId that is neither a uuid nor null -> 400", async () => {
    for (const value of ["garbage", "NULL", "none", ""]) {
      const res = await t.current.get(`/api/companies/${company.id}/issues?assigneeAgentId=${value}`);
      expect(res.status, value).toBe(400);
    }
  });

  it("assigneeUserId=me is the board user; an agent asking for me -> 403", async () => {
    expect(sortedIds(await list(company.id, "assigneeUserId=me"))).toEqual([all.mine!.id]);
    expect(sortedIds(await list(company.id, "assigneeUserId=local-board"))).toEqual([all.mine!.id]);
    expect(await list(company.id, "assigneeUserId=someone")).toEqual([]);
    const key = await createAgentKey(t.current, agentA.id);
    const res = await t.current.get(`/api/companies/${company.id}/issues?assigneeUserId=me`, { token: key.token });
    expect(res.status).toBe(403);
  });

  it("projectId and goalId", async () => {
    expect(sortedIds(await list(company.id, `projectId=${project.id}`))).toEqual(sortedIds([all.inProject!, all.child2!]));
    expect(sortedIds(await list(company.id, `goalId=${goal.id}`))).toEqual([all.inProject!.id]);
    expect((await t.current.get(`/api/companies/${company.id}/issues?projectId=nope`)).status).toBe(400);
  });

  it("parentId=<uuid> and =null", async () => {
    expect(sortedIds(await list(company.id, `parentId=${all.parent!.id}`))).toEqual(sortedIds([all.child1!, all.child2!]));
    const top = await list(company.id, "parentId=null");
    expect(sortedIds(top)).toEqual(sortedIds(Object.values(all).filter((i) => i.parentId === null)));
    expect(idSet(top).has(all.child1!.id)).toBe(false);
    expect(sortedIds(await list(company.id, `parentId=${all.parent!.id}&projectId=${project.id}`))).toEqual([all.child2!.id]);
    expect((await t.current.get(`/api/companies/${company.id}/issues?parentId=top`)).status).toBe(400);
  });

  it("originKind filters by origin", async () => {
    expect((await list(company.id, "originKind=manual")).length).toBe(Object.keys(all).length);
    expect(await list(company.id, "originKind=routine_execution")).toEqual([]);
    expect((await t.current.get(`/api/companies/${company.id}/issues?originKind=bogus`)).status).toBe(400);
  });

  it("unknown query parameters -> 400 naming them", async () => {
    const res = await t.current.get(`/api/companies/${company.id}/issues?foo=1`);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain("foo");
    expect((await t.current.get(`/api/companies/${company.id}/issues?assignee=x`)).status).toBe(400);
  });

  it("agents list their own company; another company -> 403; unknown company -> 404", async () => {
    const key = await createAgentKey(t.current, agentA.id);
    expect((await list(company.id, "", key.token)).length).toBe(Object.keys(all).length);
    const other = await createCompany(t.current);
    const res = await t.current.get(`/api/companies/${other.id}/issues`, { token: key.token });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe("Agent key cannot access another company");
    expect((await t.current.get(`/api/companies/00000000-0000-4000-8000-000000000000/issues`)).status).toBe(404);
    expect((await t.current.get(`/api/companies/not-a-uuid/issues`)).status).toBe(404);
  });
});

describe("q search", () => {
  let company: { id: string; issuePrefix: string };
  let issues: Record<string, Issue>;

  beforeAll(async () => {
    company = await createCompany(t.current, { name: "Search Co" });
    issues = {
      login: await createIssue(t.current, company.id, { title: "Fix Login bug" }),
      docs: await createIssue(t.current, company.id, { title: "Write docs", description: "covers the LOGIN flow" }),
      percent: await createIssue(t.current, company.id, { title: "100% coverage" }),
      hundred: await createIssue(t.current, company.id, { title: "100 percent" }),
      snake: await createIssue(t.current, company.id, { title: "snake_case name" }),
      camel: await createIssue(t.current, company.id, { title: "snakeXcase name" }),
      slash: await createIssue(t.current, company.id, { title: "path a\\b" }),
    };
  });

  const search = async (q: string) => sortedIds(await list(company.id, `q=${encodeURIComponent(q)}`));
  const expectIds = (...keys: string[]) => keys.map((k) => issues[k]!.id).sort();

  it("matches title and description, case-insensitively", async () => {
    expect(await search("login")).toEqual(expectIds("login", "docs"));
    expect(await search("LOGIN")).toEqual(expectIds("login", "docs"));
    expect(await search("  Login  ")).toEqual(expectIds("login", "docs"));
    expect(await search("Write")).toEqual(expectIds("docs"));
    expect(await search("nothing like this")).toEqual([]);
  });

  it("matches the identifier, case-insensitively", async () => {
    const target = issues.percent!;
    expect(await search(target.identifier)).toEqual(expectIds("percent"));
    expect(await search(target.identifier.toLowerCase())).toEqual(expectIds("percent"));
  });

  it("treats % and _ literally", async () => {
    expect(await search("100")).toEqual(expectIds("percent", "hundred"));
    expect(await search("100%")).toEqual(expectIds("percent"));
    expect(await search("%")).toEqual(expectIds("percent"));
    expect(await search("e_c")).toEqual(expectIds("snake"));
    expect(await search("_")).toEqual(expectIds("snake"));
    expect(await search("a\\b")).toEqual(expectIds("slash"));
    expect(await search("\\")).toEqual(expectIds("slash"));
  });

  it("a NUL character in q -> 400, not 500", async () => {
    const res = await t.current.get(`/api/companies/${company.id}/issues?q=${encodeURIComponent("log\u0000in")}`);
    expect(res.status).toBe(400);
    expect(typeof res.body.error).toBe("string");
  });

  it("combines with other filters", async () => {
    await t.current.patch(`/api/issues/${issues.docs!.id}`, { status: "todo" });
    expect(sortedIds(await list(company.id, "q=login&status=todo"))).toEqual(expectIds("docs"));
  });
});

describe("limit and offset", () => {
  let company: { id: string };
  let everything: Issue[];

  beforeAll(async () => {
    company = await createCompany(t.current, { name: "Bulk Co" });
    for (let batch = 0; batch < 510 / 51; batch++) {
      const results = await Promise.all(
        Array.from({ length: 51 }, (_, i) => t.current.post(`/api/companies/${company.id}/issues`, { title: `bulk ${batch * 51 + i}` })),
      );
      for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    everything = await list(company.id, "limit=1000");
  }, 120_000);

  it("the default limit is 500", async () => {
    expect(everything).toHaveLength(510);
    const page = await list(company.id);
    expect(page).toHaveLength(500);
    expect(page.map((i) => i.id)).toEqual(everything.slice(0, 500).map((i) => i.id));
  });

  it("limit=1000 is the maximum; a larger limit is accepted (clamped)", async () => {
    expect(await list(company.id, "limit=5000")).toHaveLength(510);
    expect(await list(company.id, "limit=7")).toHaveLength(7);
    expect(await list(company.id, "limit=1")).toHaveLength(1);
  });

  it("limit=0, abc, -1, 1.5 and offset=-1 -> 400", async () => {
    for (const q of ["limit=0", "limit=abc", "limit=-1", "limit=1.5", "limit=", "offset=-1", "offset=x"]) {
      const res = await t.current.get(`/api/companies/${company.id}/issues?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.error).toBe("Validation error");
    }
  });

  it("an offset past the end is an empty page, however large", async () => {
    for (const offset of ["510", "9007199254740993", "99999999999999999999", "9".repeat(400)]) {
      expect(await list(company.id, `offset=${offset}`), offset.slice(0, 30)).toEqual([]);
    }
    expect(await list(company.id, "offset=509")).toHaveLength(1);
  });

  it("offset paging is stable: pages do not overlap and cover the list", async () => {
    const pages: Issue[][] = [];
    for (let offset = 0; offset < 600; offset += 100) pages.push(await list(company.id, `limit=100&offset=${offset}`));
    expect(pages.map((p) => p.length)).toEqual([100, 100, 100, 100, 100, 10]);
    const joined = pages.flat().map((i) => i.id);
    expect(new Set(joined).size).toBe(510);
    expect(joined).toEqual(everything.map((i) => i.id));
    expect(await list(company.id, "limit=100&offset=600")).toEqual([]);
  });

  it("paging by identifier gives consecutive numbers", async () => {
    const first = await list(company.id, "sortField=identifier&limit=20");
    const second = await list(company.id, "sortField=identifier&limit=20&offset=20");
    expect(first.map((i) => i.issueNumber)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(second.map((i) => i.issueNumber)).toEqual(Array.from({ length: 20 }, (_, i) => i + 21));
  });
});

describe("sorting", () => {
  let company: { id: string };
  let agent: { id: string };
  const titles = ["charlie", "Alpha", "delta", "Bravo", "echo"];
  const priorities = ["low", "critical", "medium", "high", "critical"];
  const statuses = ["done", "backlog", "in_progress", "todo", "blocked"];

  beforeAll(async () => {
    company = await createCompany(t.current, { name: "Sort Co" });
    agent = await createAgent(t.current, company.id);
    for (let i = 0; i < titles.length; i++) {
      await createIssue(t.current, company.id, {
        title: titles[i],
        priority: priorities[i],
        status: statuses[i],
        assigneeAgentId: agent.id,
      });
    }
  });

  const rank = (values: readonly string[]) => (v: string) => values.indexOf(v);
  function expectMonotonic<T>(values: T[], key: (v: T) => number | string, dir: "asc" | "desc") {
    for (let i = 1; i < values.length; i++) {
      const [a, b] = [key(values[i - 1]!), key(values[i]!)];
      if (dir === "asc") expect(a <= b, `${a} before ${b}`).toBe(true);
      else expect(a >= b, `${a} before ${b}`).toBe(true);
    }
  }

  it("title sorts case-insensitively, asc by default", async () => {
    expect((await list(company.id, "sortField=title")).map((i) => i.title)).toEqual(["Alpha", "Bravo", "charlie", "delta", "echo"]);
    expect((await list(company.id, "sortField=title&sortDir=desc")).map((i) => i.title)).toEqual([
      "echo",
      "delta",
      "charlie",
      "Bravo",
      "Alpha",
    ]);
  });

  it("identifier sorts by issue number", async () => {
    expect((await list(company.id, "sortField=identifier")).map((i) => i.issueNumber)).toEqual([1, 2, 3, 4, 5]);
    expect((await list(company.id, "sortField=identifier&sortDir=desc")).map((i) => i.issueNumber)).toEqual([5, 4, 3, 2, 1]);
  });

  it("priority sorts critical first (asc by default)", async () => {
    const asc = await list(company.id, "sortField=priority");
    expect(asc.map((i) => i.priority)).toEqual(["critical", "critical", "high", "medium", "low"]);
    expectMonotonic(asc, (i) => rank(ISSUE_PRIORITIES)(i.priority), "asc");
    const desc = await list(company.id, "sortField=priority&sortDir=desc");
    expect(desc.map((i) => i.priority)).toEqual(["low", "medium", "high", "critical", "critical"]);
  });

  it("status sorts in workflow order", async () => {
    const asc = await list(company.id, "sortField=status");
    expect(asc.map((i) => i.status)).toEqual(["backlog", "todo", "in_progress", "done", "blocked"]);
    expectMonotonic(asc, (i) => rank(ISSUE_STATUSES)(i.status), "asc");
    const desc = await list(company.id, "sortField=status&sortDir=desc");
    expect(desc.map((i) => i.status)).toEqual(["blocked", "done", "in_progress", "todo", "backlog"]);
  });

  it("created sorts newest first by default; asc oldest first", async () => {
    const desc = await list(company.id, "sortField=created");
    expectMonotonic(desc, (i) => Date.parse(i.createdAt), "desc");
    const asc = await list(company.id, "sortField=created&sortDir=asc");
    expectMonotonic(asc, (i) => Date.parse(i.createdAt), "asc");
    expect(asc.map((i) => i.id)).toEqual([...desc].reverse().map((i) => i.id));
  });

  it("updated (the default) puts the last changed issue first", async () => {
    const before = await list(company.id, "sortField=identifier");
    const oldest = before[0]!;
    const patched = await t.current.patch(`/api/issues/${oldest.id}`, { title: "charlie (edited)" });
    expect(patched.status).toBe(200);
    const byDefault = await list(company.id);
    expect(byDefault[0]!.id).toBe(oldest.id);
    expectMonotonic(byDefault, (i) => Date.parse(i.updatedAt), "desc");
    expect((await list(company.id, "sortField=updated&sortDir=desc"))[0]!.id).toBe(oldest.id);
    const asc = await list(company.id, "sortField=updated&sortDir=asc");
    expect(asc[asc.length - 1]!.id).toBe(oldest.id);
    expectMonotonic(asc, (i) => Date.parse(i.updatedAt), "asc");
  });

  it("unknown sortField or sortDir -> 400", async () => {
    for (const q of ["sortField=bogus", "sortField=updatedAt", "sortDir=up", "sortDir=DESC"]) {
      expect((await t.current.get(`/api/companies/${company.id}/issues?${q}`)).status, q).toBe(400);
    }
  });
});

describe("hidden issues", () => {
  it("are excluded from every list, whatever the filter", async () => {
    const company = await createCompany(t.current, { name: "Hidden Co" });
    const agent = await createAgent(t.current, company.id);
    const parent = await createIssue(t.current, company.id, { title: "parent" });
    const visible = await createIssue(t.current, company.id, { title: "secret visible", status: "todo", parentId: parent.id });
    const hidden = await createIssue(t.current, company.id, {
      title: "secret hidden",
      status: "todo",
      parentId: parent.id,
      assigneeAgentId: agent.id,
    });
    expect((await t.current.patch(`/api/issues/${hidden.id}`, { hidden: true })).status).toBe(200);
    for (const q of [
      "",
      "limit=1000",
      "status=todo",
      "q=secret",
      `parentId=${parent.id}`,
      `assigneeAgentId=${agent.id}`,
      "sortField=title",
      "originKind=manual",
    ]) {
      const ids = (await list(company.id, q)).map((i) => i.id);
      expect(ids, q).not.toContain(hidden.id);
    }
    expect(sortedIds(await list(company.id, "q=secret"))).toEqual([visible.id]);
    expect(await list(company.id, `assigneeAgentId=${agent.id}`)).toEqual([]);
    const key = await createAgentKey(t.current, agent.id);
    expect((await list(company.id, "", key.token)).map((i) => i.id)).not.toContain(hidden.id);
    // Still reachable directly.
    expect((await t.current.get(`/api/issues/${hidden.identifier}`)).status).toBe(200);
  });
});
