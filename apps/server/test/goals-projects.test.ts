import { describe, expect, it } from "vitest";
import { GOAL_LEVELS, GOAL_STATUSES, PROJECT_STATUSES } from "@staple/contracts";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";

const t = useTestApp();

const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";

async function createGoal(companyId: string, body: Record<string, unknown> = {}) {
  const res = await t.current.post(`/api/companies/${companyId}/goals`, { title: "Goal", ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; [k: string]: any };
}

async function createProject(companyId: string, body: Record<string, unknown> = {}) {
  const res = await t.current.post(`/api/companies/${companyId}/projects`, { name: "Project", ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; workspaces: any[]; [k: string]: any };
}

async function createWorkspace(projectId: string, body: Record<string, unknown>) {
  const res = await t.current.post(`/api/projects/${projectId}/workspaces`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; isPrimary: boolean; [k: string]: any };
}

async function primaryIds(projectId: string): Promise<string[]> {
  const res = await t.current.get(`/api/projects/${projectId}/workspaces`);
  expect(res.status).toBe(200);
  return res.body.filter((w: any) => w.isPrimary).map((w: any) => w.id);
}

describe("goals", () => {
  it("create with defaults, get, list, update, delete", async () => {
    const company = await createCompany(t.current);
    const goal = await createGoal(company.id, { title: "  Ship v1  " });
    expect(goal).toMatchObject({
      companyId: company.id,
      title: "Ship v1",
      description: null,
      level: "task",
      status: "planned",
      parentId: null,
      ownerAgentId: null,
    });
    const got = await t.current.get(`/api/goals/${goal.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(goal);

    const second = await createGoal(company.id, { title: "Second", level: "company", status: "active", description: "why" });
    const list = await t.current.get(`/api/companies/${company.id}/goals`);
    expect(list.status).toBe(200);
    expect(list.body.map((g: any) => g.id)).toEqual([goal.id, second.id]);

    const patched = await t.current.patch(`/api/goals/${goal.id}`, { status: "achieved", description: "done" });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: goal.id, title: "Ship v1", status: "achieved", description: "done", level: "task" });
    expect(new Date(patched.body.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(goal.updatedAt).getTime());

    const del = await t.current.del(`/api/goals/${goal.id}`);
    expect(del.status).toBe(200);
    expect(del.body.id).toBe(goal.id);
    expect((await t.current.get(`/api/goals/${goal.id}`)).status).toBe(404);
    expect((await t.current.del(`/api/goals/${goal.id}`)).status).toBe(404);
    expect((await t.current.get(`/api/companies/${company.id}/goals`)).body.map((g: any) => g.id)).toEqual([second.id]);

    const actions = (await t.current.get(`/api/companies/${company.id}/activity?entityType=goal`)).body.map((a: any) => a.action);
    expect(actions).toEqual(["goal.deleted", "goal.updated", "goal.created", "goal.created"]);
  });

  it("accepts every level and status; anything else -> 400", async () => {
    const company = await createCompany(t.current);
    for (const level of GOAL_LEVELS) expect((await createGoal(company.id, { level })).level).toBe(level);
    for (const status of GOAL_STATUSES) expect((await createGoal(company.id, { status })).status).toBe(status);
    const goal = await createGoal(company.id);
    for (const body of [{ level: "division" }, { status: "done" }, { title: "" }, { title: "   " }, { bogus: 1 }, { parentId: "abc" }]) {
      expect((await t.current.post(`/api/companies/${company.id}/goals`, { title: "x", ...body })).status, JSON.stringify(body)).toBe(400);
    }
    expect((await t.current.post(`/api/companies/${company.id}/goals`, {})).status).toBe(400);
    expect((await t.current.patch(`/api/goals/${goal.id}`, { level: "division" })).status).toBe(400);
    expect((await t.current.patch(`/api/goals/${goal.id}`, { title: "" })).status).toBe(400);
  });

  it("parentId must be a goal of the same company", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const root = await createGoal(company.id, { title: "Root", level: "company" });
    const child = await createGoal(company.id, { title: "Child", parentId: root.id });
    expect(child.parentId).toBe(root.id);
    const foreign = await createGoal(other.id, { title: "Foreign" });

    const bad = await t.current.post(`/api/companies/${company.id}/goals`, { title: "x", parentId: foreign.id });
    expect(bad.status).toBe(404);
    expect(bad.body.error).toBe("Parent goal not found");
    expect((await t.current.post(`/api/companies/${company.id}/goals`, { title: "x", parentId: UNKNOWN_UUID })).status).toBe(404);
    expect((await t.current.patch(`/api/goals/${child.id}`, { parentId: foreign.id })).status).toBe(404);
    expect((await t.current.get(`/api/goals/${child.id}`)).body.parentId).toBe(root.id);

    const cleared = await t.current.patch(`/api/goals/${child.id}`, { parentId: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.parentId).toBeNull();
  });

  it("a parent cycle -> 422 (self, direct and indirect) and nothing changes", async () => {
    const company = await createCompany(t.current);
    const a = await createGoal(company.id, { title: "A" });
    const b = await createGoal(company.id, { title: "B", parentId: a.id });
    const c = await createGoal(company.id, { title: "C", parentId: b.id });

    const self = await t.current.patch(`/api/goals/${a.id}`, { parentId: a.id });
    expect(self.status).toBe(422);
    expect(self.body.code).toBe("parent_cycle");
    const direct = await t.current.patch(`/api/goals/${a.id}`, { parentId: b.id, title: "A2" });
    expect(direct.status).toBe(422);
    expect(direct.body.code).toBe("parent_cycle");
    const indirect = await t.current.patch(`/api/goals/${a.id}`, { parentId: c.id });
    expect(indirect.status).toBe(422);
    const after = await t.current.get(`/api/goals/${a.id}`);
    expect(after.body).toMatchObject({ title: "A", parentId: null });

    // Re-parenting sideways is fine.
    const d = await createGoal(company.id, { title: "D" });
    expect((await t.current.patch(`/api/goals/${c.id}`, { parentId: d.id })).status).toBe(200);
  });

  it("deleting a parent goal detaches its children", async () => {
    const company = await createCompany(t.current);
    const parent = await createGoal(company.id);
    const child = await createGoal(company.id, { parentId: parent.id });
    expect((await t.current.del(`/api/goals/${parent.id}`)).status).toBe(200);
    expect((await t.current.get(`/api/goals/${child.id}`)).body.parentId).toBeNull();
  });

  it("ownerAgentId must be an agent of the same company (another company -> 404)", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const foreign = await createAgent(t.current, other.id);
    const goal = await createGoal(company.id, { ownerAgentId: agent.id });
    expect(goal.ownerAgentId).toBe(agent.id);
    const res = await t.current.post(`/api/companies/${company.id}/goals`, { title: "x", ownerAgentId: foreign.id });
    expect(res.status).toBe(404);
    expect(res.body.error).toBe("Agent not found");
    expect((await t.current.patch(`/api/goals/${goal.id}`, { ownerAgentId: foreign.id })).status).toBe(404);
    expect((await t.current.get(`/api/goals/${goal.id}`)).body.ownerAgentId).toBe(agent.id);
    const goals = (await t.current.get(`/api/companies/${company.id}/goals`)).body;
    expect(goals).toHaveLength(1);
  });

  it("an agent key may read goals but not write them (403)", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const key = await createAgentKey(t.current, agent.id);
    const goal = await createGoal(company.id, { title: "Readable" });
    const opts = { token: key.token };

    const list = await t.current.get(`/api/companies/${company.id}/goals`, opts);
    expect(list.status).toBe(200);
    expect(list.body.map((g: any) => g.id)).toEqual([goal.id]);
    expect((await t.current.get(`/api/goals/${goal.id}`, opts)).status).toBe(200);

    const create = await t.current.post(`/api/companies/${company.id}/goals`, { title: "Mine" }, opts);
    expect(create.status).toBe(403);
    expect(create.body.code).toBe("board_only");
    expect((await t.current.patch(`/api/goals/${goal.id}`, { title: "Hacked" }, opts)).status).toBe(403);
    expect((await t.current.del(`/api/goals/${goal.id}`, opts)).status).toBe(403);
    const after = await t.current.get(`/api/goals/${goal.id}`);
    expect(after.body.title).toBe("Readable");
    expect((await t.current.get(`/api/companies/${company.id}/goals`)).body).toHaveLength(1);
  });

  it("goals of another company: agent -> 403 on the company list, 404 by id", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const key = await createAgentKey(t.current, agent.id);
    const foreign = await createGoal(other.id);
    expect((await t.current.get(`/api/companies/${other.id}/goals`, { token: key.token })).status).toBe(403);
    expect((await t.current.get(`/api/goals/${foreign.id}`, { token: key.token })).status).toBe(404);
    expect((await t.current.get(`/api/goals/${UNKNOWN_UUID}`)).status).toBe(404);
    expect((await t.current.get(`/api/goals/not-a-uuid`)).status).toBe(404);
  });
});

describe("projects", () => {
  it("create with defaults; targetDate 2026-12-31 and env round trip; get, list, patch, delete", async () => {
    const company = await createCompany(t.current);
    const goal = await createGoal(company.id);
    const lead = await createAgent(t.current, company.id);
    const project = await createProject(company.id, {
      name: "Website",
      description: "marketing site",
      goalId: goal.id,
      leadAgentId: lead.id,
      targetDate: "2026-12-31",
      color: "#ff0000",
      env: { NODE_ENV: "production", API_URL: "https://api.example.com" },
    });
    expect(project).toMatchObject({
      companyId: company.id,
      name: "Website",
      description: "marketing site",
      status: "backlog",
      goalId: goal.id,
      leadAgentId: lead.id,
      targetDate: "2026-12-31",
      color: "#ff0000",
      env: { NODE_ENV: "production", API_URL: "https://api.example.com" },
      pausedAt: null,
      archivedAt: null,
      workspaces: [],
    });
    const got = await t.current.get(`/api/projects/${project.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(project);
    expect(got.body.targetDate).toBe("2026-12-31");

    const bare = await createProject(company.id, { name: "Bare" });
    expect(bare).toMatchObject({ targetDate: null, env: null, goalId: null, leadAgentId: null, status: "backlog" });
    const list = await t.current.get(`/api/companies/${company.id}/projects`);
    expect(list.status).toBe(200);
    expect(list.body.map((p: any) => p.id)).toEqual([project.id, bare.id]);

    const patched = await t.current.patch(`/api/projects/${project.id}`, {
      status: "in_progress",
      targetDate: "2027-01-01",
      env: { ONLY: "this" },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ status: "in_progress", targetDate: "2027-01-01", env: { ONLY: "this" }, name: "Website" });
    const cleared = await t.current.patch(`/api/projects/${project.id}`, { targetDate: null, env: null, goalId: null });
    expect(cleared.body).toMatchObject({ targetDate: null, env: null, goalId: null });

    const del = await t.current.del(`/api/projects/${project.id}`);
    expect(del.status).toBe(200);
    expect((await t.current.get(`/api/projects/${project.id}`)).status).toBe(404);
    expect((await t.current.get(`/api/companies/${company.id}/projects`)).body.map((p: any) => p.id)).toEqual([bare.id]);
    const actions = (await t.current.get(`/api/companies/${company.id}/activity?entityId=${project.id}`)).body.map((a: any) => a.action);
    expect(actions).toEqual(["project.deleted", "project.updated", "project.updated", "project.created"]);
  });

  it("every status is accepted; bad status, targetDate or env name -> 400", async () => {
    const company = await createCompany(t.current);
    for (const status of PROJECT_STATUSES) expect((await createProject(company.id, { status })).status).toBe(status);
    const bad: Record<string, unknown>[] = [
      { status: "done" },
      { targetDate: "2026-13-01" },
      { targetDate: "2026-02-30" },
      { targetDate: "31/12/2026" },
      { targetDate: "2026-12-31T00:00:00Z" },
      { env: { "1BAD": "x" } },
      { env: { "WITH-DASH": "x" } },
      { env: { OK: 1 } },
      { name: "" },
      { bogus: true },
    ];
    for (const body of bad) {
      const res = await t.current.post(`/api/companies/${company.id}/projects`, { name: "x", ...body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });

  it("the archived flag sets and clears archivedAt (setting it twice keeps the first time)", async () => {
    const company = await createCompany(t.current);
    const project = await createProject(company.id);
    const archived = await t.current.patch(`/api/projects/${project.id}`, { archived: true });
    expect(archived.status).toBe(200);
    expect(archived.body.archivedAt).not.toBeNull();
    const again = await t.current.patch(`/api/projects/${project.id}`, { archived: true, name: "Renamed" });
    expect(again.body.archivedAt).toBe(archived.body.archivedAt);
    expect(again.body.name).toBe("Renamed");
    const restored = await t.current.patch(`/api/projects/${project.id}`, { archived: false });
    expect(restored.body.archivedAt).toBeNull();
    expect((await t.current.get(`/api/projects/${project.id}`)).body.archivedAt).toBeNull();
    expect((await t.current.patch(`/api/projects/${project.id}`, { archived: "yes" })).status).toBe(400);
  });

  it("goalId and leadAgentId of another company -> 404 and nothing is written", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const foreignGoal = await createGoal(other.id);
    const foreignAgent = await createAgent(t.current, other.id);
    const r1 = await t.current.post(`/api/companies/${company.id}/projects`, { name: "x", goalId: foreignGoal.id });
    expect(r1.status).toBe(404);
    const r2 = await t.current.post(`/api/companies/${company.id}/projects`, { name: "x", leadAgentId: foreignAgent.id });
    expect(r2.status).toBe(404);
    expect((await t.current.get(`/api/companies/${company.id}/projects`)).body).toEqual([]);
    const project = await createProject(company.id);
    expect((await t.current.patch(`/api/projects/${project.id}`, { goalId: foreignGoal.id })).status).toBe(404);
    expect((await t.current.get(`/api/projects/${project.id}`)).body.goalId).toBeNull();
  });

  it("an agent key may read projects but not write them (403)", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const key = await createAgentKey(t.current, agent.id);
    const project = await createProject(company.id, { workspaces: [{ name: "main", cwd: "/srv/app" }] });
    const ws = project.workspaces[0];
    const opts = { token: key.token };
    expect((await t.current.get(`/api/companies/${company.id}/projects`, opts)).status).toBe(200);
    expect((await t.current.get(`/api/projects/${project.id}`, opts)).status).toBe(200);
    expect((await t.current.get(`/api/projects/${project.id}/workspaces`, opts)).status).toBe(200);
    expect((await t.current.post(`/api/companies/${company.id}/projects`, { name: "Mine" }, opts)).status).toBe(403);
    expect((await t.current.patch(`/api/projects/${project.id}`, { name: "Hacked" }, opts)).status).toBe(403);
    expect((await t.current.del(`/api/projects/${project.id}`, opts)).status).toBe(403);
    expect((await t.current.post(`/api/projects/${project.id}/workspaces`, { name: "w", cwd: "/tmp" }, opts)).status).toBe(403);
    expect((await t.current.patch(`/api/projects/${project.id}/workspaces/${ws.id}`, { name: "w" }, opts)).status).toBe(403);
    expect((await t.current.del(`/api/projects/${project.id}/workspaces/${ws.id}`, opts)).status).toBe(403);
    const after = await t.current.get(`/api/projects/${project.id}`);
    expect(after.body.name).toBe("Project");
    expect(after.body.workspaces).toHaveLength(1);
  });

  it("projects of another company: agent -> 403 on the list, 404 by id", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const key = await createAgentKey(t.current, agent.id);
    const foreign = await createProject(other.id);
    expect((await t.current.get(`/api/companies/${other.id}/projects`, { token: key.token })).status).toBe(403);
    expect((await t.current.get(`/api/projects/${foreign.id}`, { token: key.token })).status).toBe(404);
    expect((await t.current.get(`/api/projects/${foreign.id}/workspaces`, { token: key.token })).status).toBe(404);
    expect((await t.current.get(`/api/projects/${UNKNOWN_UUID}`)).status).toBe(404);
  });

  it("deleting a project detaches its issues", async () => {
    const company = await createCompany(t.current);
    const project = await createProject(company.id);
    const issue = await createIssue(t.current, company.id, { projectId: project.id });
    expect(issue.projectId).toBe(project.id);
    expect((await t.current.del(`/api/projects/${project.id}`)).status).toBe(200);
    const after = await t.current.get(`/api/issues/${issue.id}`);
    expect(after.status).toBe(200);
    expect(after.body.projectId).toBeNull();
    expect(after.body.project).toBeNull();
  });
});

describe("project workspaces", () => {
  it("create with an absolute cwd; relative cwd -> 400; repoUrl + repoRef; neither -> 400", async () => {
    const company = await createCompany(t.current);
    const project = await createProject(company.id);
    const local = await createWorkspace(project.id, { name: "local", cwd: "/srv/app" });
    expect(local).toMatchObject({
      projectId: project.id,
      companyId: company.id,
      name: "local",
      cwd: "/srv/app",
      repoUrl: null,
      repoRef: null,
    });
    const repo = await createWorkspace(project.id, { name: "repo", repoUrl: "https://github.com/acme/app.git", repoRef: "main" });
    expect(repo).toMatchObject({ cwd: null, repoUrl: "https://github.com/acme/app.git", repoRef: "main" });
    const windows = await createWorkspace(project.id, { name: "win", cwd: "C:\\work\\app" });
    expect(windows.cwd).toBe("C:\\work\\app");

    const bad: Record<string, unknown>[] = [
      { name: "rel", cwd: "relative/path" },
      { name: "dot", cwd: "./app" },
      { name: "home", cwd: "~/app" },
      { name: "empty", cwd: "" },
      { name: "neither" },
      { name: "nulls", cwd: null, repoUrl: null },
      { name: "ref only", repoRef: "main" },
      { cwd: "/srv/app" },
      { name: "x", cwd: "/srv", bogus: 1 },
    ];
    for (const body of bad) {
      const res = await t.current.post(`/api/projects/${project.id}/workspaces`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await t.current.get(`/api/projects/${project.id}/workspaces`)).body).toHaveLength(3);
    expect((await t.current.patch(`/api/projects/${project.id}/workspaces/${local.id}`, { cwd: "relative" })).status).toBe(400);
  });

  it("the first workspace becomes primary; creating another with isPrimary true moves the flag", async () => {
    const company = await createCompany(t.current);
    const project = await createProject(company.id);
    const first = await createWorkspace(project.id, { name: "first", cwd: "/a" });
    expect(first.isPrimary).toBe(true);
    const second = await createWorkspace(project.id, { name: "second", cwd: "/b" });
    expect(second.isPrimary).toBe(false);
    expect(await primaryIds(project.id)).toEqual([first.id]);
    const third = await createWorkspace(project.id, { name: "third", cwd: "/c", isPrimary: true });
    expect(third.isPrimary).toBe(true);
    expect(await primaryIds(project.id)).toEqual([third.id]);
    const list = (await t.current.get(`/api/projects/${project.id}/workspaces`)).body;
    expect(list.map((w: any) => w.name)).toEqual(["first", "second", "third"]);
  });

  it("creating a project with workspaces: the first is primary unless another is marked; two marked -> 422", async () => {
    const company = await createCompany(t.current);
    const p1 = await createProject(company.id, {
      workspaces: [
        { name: "a", cwd: "/a" },
        { name: "b", cwd: "/b" },
      ],
    });
    expect(p1.workspaces.map((w: any) => [w.name, w.isPrimary])).toEqual([
      ["a", true],
      ["b", false],
    ]);
    const p2 = await createProject(company.id, {
      workspaces: [
        { name: "a", cwd: "/a" },
        { name: "b", cwd: "/b", isPrimary: true },
      ],
    });
    expect(p2.workspaces.map((w: any) => [w.name, w.isPrimary])).toEqual([
      ["a", false],
      ["b", true],
    ]);
    const two = await t.current.post(`/api/companies/${company.id}/projects`, {
      name: "two primaries",
      workspaces: [
        { name: "a", cwd: "/a", isPrimary: true },
        { name: "b", cwd: "/b", isPrimary: true },
      ],
    });
    expect(two.status).toBe(422);
    const bad = await t.current.post(`/api/companies/${company.id}/projects`, { name: "bad ws", workspaces: [{ name: "a", cwd: "rel" }] });
    expect(bad.status).toBe(400);
    const names = (await t.current.get(`/api/companies/${company.id}/projects`)).body.map((p: any) => p.name);
    expect(names).toEqual(["Project", "Project"]);
  });

  it("workspaces created with their project keep their given order (list order and primary promotion)", async () => {
    const company = await createCompany(t.current);
    const names = ["w1", "w2", "w3", "w4", "w5", "w6"];
    const project = await createProject(company.id, {
      workspaces: names.map((name, i) => ({ name, cwd: `/${name}`, ...(i === names.length - 1 ? { isPrimary: true } : {}) })),
    });
    expect(project.workspaces.map((w: any) => w.name)).toEqual(names);
    expect(project.workspaces.filter((w: any) => w.isPrimary).map((w: any) => w.name)).toEqual(["w6"]);
    const listed = (await t.current.get(`/api/companies/${company.id}/projects`)).body[0].workspaces;
    expect(listed.map((w: any) => w.name)).toEqual(names);
    const w6 = project.workspaces[5];
    expect((await t.current.del(`/api/projects/${project.id}/workspaces/${w6.id}`)).status).toBe(200);
    expect(await primaryIds(project.id)).toEqual([project.workspaces[0].id]);
  });

  it("deleting the primary promotes the oldest remaining workspace", async () => {
    const company = await createCompany(t.current);
    const project = await createProject(company.id);
    const a = await createWorkspace(project.id, { name: "a", cwd: "/a" });
    const b = await createWorkspace(project.id, { name: "b", cwd: "/b" });
    const c = await createWorkspace(project.id, { name: "c", cwd: "/c", isPrimary: true });
    expect(await primaryIds(project.id)).toEqual([c.id]);

    const delC = await t.current.del(`/api/projects/${project.id}/workspaces/${c.id}`);
    expect(delC.status).toBe(200);
    expect(delC.body.id).toBe(c.id);
    expect(await primaryIds(project.id)).toEqual([a.id]);

    // Deleting a non-primary changes nothing.
    expect((await t.current.del(`/api/projects/${project.id}/workspaces/${b.id}`)).status).toBe(200);
    expect(await primaryIds(project.id)).toEqual([a.id]);

    expect((await t.current.del(`/api/projects/${project.id}/workspaces/${a.id}`)).status).toBe(200);
    expect((await t.current.get(`/api/projects/${project.id}/workspaces`)).body).toEqual([]);
    expect((await t.current.del(`/api/projects/${project.id}/workspaces/${a.id}`)).status).toBe(404);
    // The next workspace becomes primary again.
    const d = await createWorkspace(project.id, { name: "d", cwd: "/d" });
    expect(d.isPrimary).toBe(true);
  });

  it("PATCH isPrimary:false on the primary -> 422; isPrimary:true on another moves the flag", async () => {
    const company = await createCompany(t.current);
    const project = await createProject(company.id);
    const a = await createWorkspace(project.id, { name: "a", cwd: "/a" });
    const b = await createWorkspace(project.id, { name: "b", cwd: "/b" });
    const unmark = await t.current.patch(`/api/projects/${project.id}/workspaces/${a.id}`, { isPrimary: false, name: "renamed" });
    expect(unmark.status).toBe(422);
    expect(unmark.body.code).toBe("workspace_primary");
    const afterUnmark = (await t.current.get(`/api/projects/${project.id}/workspaces`)).body;
    expect(afterUnmark.find((w: any) => w.id === a.id)).toMatchObject({ name: "a", isPrimary: true });

    const move = await t.current.patch(`/api/projects/${project.id}/workspaces/${b.id}`, { isPrimary: true });
    expect(move.status).toBe(200);
    expect(move.body.isPrimary).toBe(true);
    expect(await primaryIds(project.id)).toEqual([b.id]);

    // Idempotent: marking the primary primary again, or a non-primary non-primary, is fine.
    expect((await t.current.patch(`/api/projects/${project.id}/workspaces/${b.id}`, { isPrimary: true })).status).toBe(200);
    expect((await t.current.patch(`/api/projects/${project.id}/workspaces/${a.id}`, { isPrimary: false })).status).toBe(200);
    expect(await primaryIds(project.id)).toEqual([b.id]);

    const renamed = await t.current.patch(`/api/projects/${project.id}/workspaces/${a.id}`, {
      name: "alpha",
      repoUrl: "git@x:y.git",
      repoRef: "dev",
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: "alpha", cwd: "/a", repoUrl: "git@x:y.git", repoRef: "dev", isPrimary: false });
  });

  it("the project GET includes its workspaces; workspaces of another project -> 404", async () => {
    const company = await createCompany(t.current);
    const p1 = await createProject(company.id, { name: "P1" });
    const p2 = await createProject(company.id, { name: "P2" });
    const w1 = await createWorkspace(p1.id, { name: "w1", cwd: "/p1" });
    const w2 = await createWorkspace(p2.id, { name: "w2", cwd: "/p2" });

    const got = await t.current.get(`/api/projects/${p1.id}`);
    expect(got.body.workspaces.map((w: any) => w.id)).toEqual([w1.id]);
    const list = (await t.current.get(`/api/companies/${company.id}/projects`)).body;
    expect(list.map((p: any) => [p.name, p.workspaces.map((w: any) => w.id)])).toEqual([
      ["P1", [w1.id]],
      ["P2", [w2.id]],
    ]);

    const patch = await t.current.patch(`/api/projects/${p2.id}/workspaces/${w1.id}`, { name: "stolen" });
    expect(patch.status).toBe(404);
    expect(patch.body.error).toBe("Project workspace not found");
    expect((await t.current.del(`/api/projects/${p2.id}/workspaces/${w1.id}`)).status).toBe(404);
    expect((await t.current.patch(`/api/projects/${p1.id}/workspaces/not-a-uuid`, { name: "x" })).status).toBe(404);
    expect((await t.current.post(`/api/projects/${UNKNOWN_UUID}/workspaces`, { name: "x", cwd: "/x" })).status).toBe(404);
    expect((await t.current.get(`/api/projects/${p1.id}`)).body.workspaces[0].name).toBe("w1");
  });

  it("workspace changes are recorded as project activity", async () => {
    const company = await createCompany(t.current);
    const project = await createProject(company.id);
    const ws = await createWorkspace(project.id, { name: "a", cwd: "/a" });
    await t.current.patch(`/api/projects/${project.id}/workspaces/${ws.id}`, { name: "b" });
    await t.current.del(`/api/projects/${project.id}/workspaces/${ws.id}`);
    const rows = (await t.current.get(`/api/companies/${company.id}/activity?entityId=${project.id}`)).body;
    expect(rows.map((r: any) => r.action)).toEqual([
      "project.workspace_deleted",
      "project.workspace_updated",
      "project.workspace_created",
      "project.created",
    ]);
    expect(rows[0].details.workspaceId).toBe(ws.id);
    expect(rows.every((r: any) => r.entityType === "project")).toBe(true);
  });
});

describe("issues referring to goals and projects", () => {
  it("projectId / goalId of another company -> 404 on create and patch; same company ok", async () => {
    const company = await createCompany(t.current);
    const other = await createCompany(t.current);
    const foreignProject = await createProject(other.id);
    const foreignGoal = await createGoal(other.id);
    const project = await createProject(company.id, { name: "Ours" });
    const goal = await createGoal(company.id, { title: "Ours" });

    const r1 = await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", projectId: foreignProject.id });
    expect(r1.status).toBe(404);
    expect(r1.body.error).toBe("Project not found");
    const r2 = await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", goalId: foreignGoal.id });
    expect(r2.status).toBe(404);
    expect(r2.body.error).toBe("Goal not found");
    expect((await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", projectId: UNKNOWN_UUID })).status).toBe(404);
    expect((await t.current.get(`/api/companies/${company.id}/issues`)).body).toEqual([]);

    const issue = await createIssue(t.current, company.id, { projectId: project.id, goalId: goal.id });
    expect(issue).toMatchObject({ projectId: project.id, goalId: goal.id });
    const detail = await t.current.get(`/api/issues/${issue.id}`);
    expect(detail.body.project).toEqual({ id: project.id, name: "Ours", status: "backlog" });
    expect(detail.body.goal).toEqual({ id: goal.id, title: "Ours", status: "planned" });

    expect((await t.current.patch(`/api/issues/${issue.id}`, { projectId: foreignProject.id })).status).toBe(404);
    expect((await t.current.patch(`/api/issues/${issue.id}`, { goalId: foreignGoal.id })).status).toBe(404);
    const after = await t.current.get(`/api/issues/${issue.id}`);
    expect(after.body).toMatchObject({ projectId: project.id, goalId: goal.id });
  });

  it("projectWorkspaceId must belong to the issue's project", async () => {
    const company = await createCompany(t.current);
    const p1 = await createProject(company.id);
    const p2 = await createProject(company.id);
    const w1 = await createWorkspace(p1.id, { name: "w1", cwd: "/w1" });
    const w2 = await createWorkspace(p2.id, { name: "w2", cwd: "/w2" });
    const ok = await createIssue(t.current, company.id, { projectId: p1.id, projectWorkspaceId: w1.id });
    expect(ok.projectWorkspaceId).toBe(w1.id);
    const mismatch = await t.current.post(`/api/companies/${company.id}/issues`, {
      title: "x",
      projectId: p1.id,
      projectWorkspaceId: w2.id,
    });
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.code).toBe("workspace_project_mismatch");
  });
});
