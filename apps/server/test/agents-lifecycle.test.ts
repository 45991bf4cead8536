import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { actions, agentApi, UNKNOWN_UUID } from "./helpers/agent-api.js";

/** Pause, resume and terminate: transitions, no-op repeats, their activity, and what termination forbids. */

const t = useTestApp();
const { agentActivity } = agentApi(t);

describe("pause, resume, terminate", () => {
  it("pause -> paused (manual), repeat is a no-op, resume -> idle; each logs once", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);

    const paused = await t.current.post(`/api/agents/${agent.id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ id: agent.id, status: "paused", pauseReason: "manual" });
    expect(paused.body.pausedAt).not.toBeNull();

    const again = await t.current.post(`/api/agents/${agent.id}/pause`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: "paused", pauseReason: "manual", pausedAt: paused.body.pausedAt });

    const resumed = await t.current.post(`/api/agents/${agent.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ status: "idle", pauseReason: null, pausedAt: null });

    const resumedAgain = await t.current.post(`/api/agents/${agent.id}/resume`);
    expect(resumedAgain.status).toBe(200);
    expect(resumedAgain.body.status).toBe("idle");

    const rows = await agentActivity(company.id, agent.id);
    expect(actions(rows, "agent.paused")).toHaveLength(1);
    expect(actions(rows, "agent.paused")[0]).toMatchObject({ agentId: agent.id, actorType: "user", details: { previousStatus: "idle" } });
    expect(actions(rows, "agent.resumed")).toHaveLength(1);
    expect(actions(rows, "agent.resumed")[0]!.details).toEqual({ previousStatus: "paused" });
  });

  it("terminate from idle or paused; repeat is a no-op; logs agent.terminated once", async () => {
    const company = await createCompany(t.current);
    const idle = await createAgent(t.current, company.id);
    const paused = await createAgent(t.current, company.id);
    await t.current.post(`/api/agents/${paused.id}/pause`);

    for (const [agent, previous] of [
      [idle, "idle"],
      [paused, "paused"],
    ] as const) {
      const res = await t.current.post(`/api/agents/${agent.id}/terminate`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: "terminated", pauseReason: null, pausedAt: null });
      const again = await t.current.post(`/api/agents/${agent.id}/terminate`);
      expect(again.status).toBe(200);
      expect(again.body.status).toBe("terminated");
      const rows = await agentActivity(company.id, agent.id);
      expect(actions(rows, "agent.terminated")).toHaveLength(1);
      expect(actions(rows, "agent.terminated")[0]!.details).toEqual({ previousStatus: previous });
    }
  });

  it("a terminated agent cannot be resumed, paused or patched (409) and takes no new keys", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    await t.current.post(`/api/agents/${agent.id}/terminate`);

    const resume = await t.current.post(`/api/agents/${agent.id}/resume`);
    expect(resume.status).toBe(409);
    expect(resume.body.code).toBe("agent_invalid_transition");
    expect((await t.current.post(`/api/agents/${agent.id}/pause`)).status).toBe(409);
    const patch = await t.current.patch(`/api/agents/${agent.id}`, { title: "Zombie" });
    expect(patch.status).toBe(409);
    expect(patch.body.code).toBe("agent_terminated");
    const key = await t.current.post(`/api/agents/${agent.id}/keys`, { name: "late" });
    expect(key.status).toBe(409);

    const got = await t.current.get(`/api/agents/${agent.id}`);
    expect(got.body).toMatchObject({ status: "terminated", title: null });
    const rows = await agentActivity(company.id, agent.id);
    expect(actions(rows, "agent.resumed")).toHaveLength(0);
    expect(actions(rows, "agent.paused")).toHaveLength(0);
    expect(actions(rows, "agent.updated")).toHaveLength(0);
  });

  it("concurrent pauses apply once", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const results = await Promise.all(Array.from({ length: 4 }, () => t.current.post(`/api/agents/${agent.id}/pause`)));
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body.status).toBe("paused");
    }
    expect(actions(await agentActivity(company.id, agent.id), "agent.paused")).toHaveLength(1);
  });

  it("unknown agent -> 404 for every transition", async () => {
    for (const action of ["pause", "resume", "terminate"]) {
      expect((await t.current.post(`/api/agents/${UNKNOWN_UUID}/${action}`)).status, action).toBe(404);
      expect((await t.current.post(`/api/agents/not-a-uuid/${action}`)).status, action).toBe(404);
    }
  });
});
