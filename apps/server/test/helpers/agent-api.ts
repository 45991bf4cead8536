import { expect } from "vitest";
import type { TestApp } from "./test-app.js";

/** Shared setup of the agent API tests (agents-create, -update, -read, -lifecycle, -org). */

export const UNKNOWN_UUID = "6f1c1a7e-0000-4000-8000-0000000000aa";
export const PROCESS = { adapterType: "process", adapterConfig: { command: "/bin/true" } } as const;

/** The dotted paths a 400's details name. */
export const detailPaths = (body: { details?: Array<{ path: unknown[] }> }) => (body.details ?? []).map((d) => d.path.join("."));

export const actions = <T extends { action: string }>(rows: T[], action: string) => rows.filter((r) => r.action === action);

/** Calls bound to the file's test app. */
export function agentApi(t: { current: TestApp }) {
  /** Creates a process agent as the board, answering the raw response. */
  function hire(companyId: string, body: Record<string, unknown>) {
    return t.current.post(`/api/companies/${companyId}/agents`, { ...PROCESS, ...body });
  }

  async function agentActivity(companyId: string, agentId: string) {
    const res = await t.current.get(`/api/companies/${companyId}/activity?entityType=agent&entityId=${agentId}`);
    expect(res.status).toBe(200);
    return res.body as Array<{ action: string; agentId: string | null; actorType: string; actorId: string; details: any }>;
  }

  return { hire, agentActivity };
}
