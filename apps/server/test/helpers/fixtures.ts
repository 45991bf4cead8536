import { expect } from "vitest";
import type { TestApp } from "./test-app.js";

let counter = 0;
const unique = (prefix: string) => `${prefix} ${++counter} ${Math.random().toString(36).slice(2, 6)}`;

export async function createCompany(app: TestApp, body: Record<string, unknown> = {}) {
  const res = await app.post("/api/companies", { name: unique("Company"), ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; issuePrefix: string; name: string };
}

export async function createAgent(app: TestApp, companyId: string, body: Record<string, unknown> = {}) {
  const res = await app.post(`/api/companies/${companyId}/agents`, {
    name: unique("Agent"),
    role: "engineer",
    adapterType: "process",
    adapterConfig: { command: "/bin/true" },
    ...body,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; name: string; companyId: string; status: string };
}

export async function createIssue(app: TestApp, companyId: string, body: Record<string, unknown> = {}, token?: string) {
  const res = await app.post(`/api/companies/${companyId}/issues`, { title: unique("Issue"), ...body }, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; identifier: string; status: string; [k: string]: any };
}

export async function createAgentKey(app: TestApp, agentId: string) {
  const res = await app.post(`/api/agents/${agentId}/keys`, { name: "test" });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; token: string };
}
