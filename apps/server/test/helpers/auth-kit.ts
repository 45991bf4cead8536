import { expect } from "vitest";
import { createAgent, createAgentKey, createCompany } from "./fixtures.js";
import type { TestApp } from "./test-app.js";

/** Helpers shared by the authentication tests (auth.test.ts, auth-run-tokens.test.ts). */

export const UNKNOWN_UUID = "6f1c1a7e-0000-4000-8000-0000000000bb";

export function authKit(t: { current: TestApp }) {
  return {
    /** A company with one agent and an API key for it. */
    async agentWithKey(body: Record<string, unknown> = {}) {
      const company = await createCompany(t.current);
      const agent = await createAgent(t.current, company.id, body);
      const key = await createAgentKey(t.current, agent.id);
      return { company, agent, key, token: key.token };
    },
    /** The company's activity as the board reads it. */
    async activity(companyId: string) {
      const res = await t.current.get(`/api/companies/${companyId}/activity?limit=500`);
      expect(res.status).toBe(200);
      return res.body as Array<{
        action: string;
        actorType: string;
        actorId: string;
        agentId: string | null;
        runId: string | null;
        entityId: string;
        details: any;
      }>;
    },
  };
}
