import { expect } from "vitest";
import type { TestApp } from "./test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./fixtures.js";

/** Valid payloads for each interaction kind (the shapes Paperclip's skill documents). */
export const payloads = {
  request_confirmation: () => ({
    version: 1,
    prompt: "Accept this plan?",
    acceptLabel: "Accept plan",
    rejectLabel: "Request changes",
    rejectRequiresReason: true,
  }),
  request_checkbox_confirmation: () => ({
    version: 1,
    prompt: "Check the files you want deleted.",
    options: [
      { id: "draft", label: "Old draft report" },
      { id: "tmp", label: "tmp/export.csv" },
      { id: "log", label: "debug.log" },
    ],
    defaultSelectedOptionIds: ["draft"],
    minSelected: 1,
    maxSelected: 2,
  }),
  request_item_verdicts: () => ({
    version: 1,
    prompt: "Review each artifact.",
    items: [
      { id: "api", label: "API route" },
      { id: "docs", label: "Docs update" },
    ],
    verdicts: ["approve", "reject", "defer"],
    requireReasonOn: ["reject"],
  }),
  ask_user_questions: () => ({
    version: 1,
    questions: [
      {
        id: "responsibility",
        prompt: "What should the new agent be responsible for?",
        selectionMode: "single",
        required: true,
        options: [
          { id: "research", label: "Research" },
          { id: "writing", label: "Writing" },
        ],
      },
    ],
  }),
  suggest_tasks: () => ({
    version: 1,
    tasks: [
      { clientKey: "a", title: "Build the API", priority: "high" },
      { clientKey: "b", title: "Document the API", parentClientKey: "a" },
    ],
  }),
} as const;
export type Kind = keyof typeof payloads;
export const KINDS = Object.keys(payloads) as Kind[];

/** A live run of `agentId` (no process behind it): lets an agent key act "from a run". */
export async function insertRun(app: TestApp, companyId: string, agentId: string): Promise<string> {
  const [run] = await app.tdb.db.query<{ id: string }>(
    "INSERT INTO heartbeat_runs (company_id, agent_id, status) VALUES ($1, $2, 'running') RETURNING id",
    [companyId, agentId],
  );
  return run!.id;
}

export interface Actors {
  company: { id: string };
  /** Creator agent, with a key and a live run. */
  creator: { id: string; token: string; runId: string };
  /** A second agent of the same company. */
  other: { id: string; token: string; runId: string };
}

export async function actors(app: TestApp): Promise<Actors> {
  const company = await createCompany(app);
  const make = async () => {
    const agent = await createAgent(app, company.id);
    const { token } = await createAgentKey(app, agent.id);
    return { id: agent.id, token, runId: await insertRun(app, company.id, agent.id) };
  };
  return { company, creator: await make(), other: await make() };
}

export async function newIssue(app: TestApp, companyId: string, body: Record<string, unknown> = {}) {
  return createIssue(app, companyId, body);
}

/** Creates a card; `as` is an agent (with its run) or the board when omitted. */
export async function createCard(app: TestApp, issueId: string, body: Record<string, unknown>, as?: { token: string; runId: string }) {
  const res = await app.post(`/api/issues/${issueId}/interactions`, body, as ? { token: as.token, runId: as.runId } : {});
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; status: string; [k: string]: any };
}

export const act = (
  app: TestApp,
  issueId: string,
  id: string,
  action: string,
  body: unknown = {},
  as?: { token: string; runId?: string },
) => app.post(`/api/issues/${issueId}/interactions/${id}/${action}`, body, as ? { token: as.token, runId: as.runId } : {});
