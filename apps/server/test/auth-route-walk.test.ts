import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signAgentJwt } from "../src/auth/agent-jwt.js";
import { allRoutes } from "../src/http/routes/index.js";
import type { AnyRoute } from "../src/http/route.js";
import { createTestApp, TEST_JWT_SECRET, type TestApp } from "./helpers/test-app.js";
import { inviteAndSignUp, rawCall, signUpOwner, type SignedInUser } from "./helpers/auth-users.js";

/**
 * Walks every operation of the generated OpenAPI document with each kind of caller and checks the
 * role table (docs/agents-and-auth.md):
 * - a viewer of company A: every write is 403; reads answer (403 only where the table says so);
 * - a member of company B only: everything addressed to company A is 403 or 404;
 * - agents of company B (API key and run JWT): the same;
 * - agents of company A (API key and run JWT): every board-only route is 403.
 * Routes about the caller themself (sign-in, sign-out, their keys, CLI sign-in, accepting an invite)
 * and public routes are covered by auth-members.test.ts, not walked here (walking sign-out would end
 * the walker's own session).
 */
const UNKNOWN = "6f1c1a7e-0000-4000-8000-0000000000aa";
const SELF_SERVICE = [/^\/api\/auth\//, /^\/api\/board\//, /^\/api\/board-api-keys(\/|$)/, /^\/api\/cli-auth\//, /^\/api\/invites\//];
/** Reads a viewer may not make: they need more than `read` (member management, instance settings). */
const VIEWER_READ_FORBIDDEN = new Set([
  "GET /api/companies/:companyId/invites",
  "GET /api/companies/:companyId/join-requests",
  "GET /api/instance/settings/outbound",
]);

/** Writes a viewer may make: their own inbox state (read, archive, dismiss) changes nothing of the company's. */
const VIEWER_SELF_WRITES = new Set([
  "POST /api/companies/:companyId/inbox/read",
  "POST /api/companies/:companyId/inbox/unread",
  "POST /api/companies/:companyId/inbox/archive",
  "POST /api/companies/:companyId/inbox/unarchive",
  "POST /api/companies/:companyId/inbox-dismissals",
  "DELETE /api/companies/:companyId/inbox-dismissals/:itemKey",
]);

let app: TestApp;
let ids: Record<string, string>;
let viewer: SignedInUser;
let outsider: SignedInUser;
const agentTokens: Record<"A" | "B", { key: string; jwt: string }> = {} as never;

interface Op {
  method: string;
  template: string;
  route: AnyRoute | undefined;
}

function operations(doc: { paths: Record<string, Record<string, unknown>> }): Op[] {
  const ops: Op[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    const template = path.replace(/\{([A-Za-z]+)\}/g, ":$1");
    for (const method of Object.keys(methods)) {
      ops.push({
        method: method.toUpperCase(),
        template,
        route: allRoutes.find((r) => r.method.toUpperCase() === method.toUpperCase() && r.path === template),
      });
    }
  }
  return ops;
}

/** A concrete URL: company A's real resources where the path names one, unknown ids elsewhere. */
function concrete(template: string): string {
  const segments = template.split("/");
  return segments
    .map((segment, i) => {
      if (!segment.startsWith(":")) return segment;
      const name = segment.slice(1);
      const parent = segments[i - 1];
      if (name === "companyId") return ids.company;
      if (name === "key") return "plan";
      if (name === "type") return "process";
      if (name === "token") return "not-a-token";
      const byParent: Record<string, string | undefined> = {
        issues: ids.issue,
        agents: ids.agent,
        projects: ids.project,
        goals: ids.goal,
        labels: ids.label,
        "heartbeat-runs": ids.run,
        comments: ids.comment,
      };
      return byParent[parent ?? ""] ?? UNKNOWN;
    })
    .join("/");
}

/** Whether the URL addresses company A (by its id, or by a resource of A the walker created). */
function addressesCompanyA(url: string): boolean {
  return Object.values(ids).some((id) => url.split("/").includes(id));
}

async function send(op: Op, auth: Record<string, string>): Promise<number> {
  const url = concrete(op.template);
  const response = await app.app.request(url, {
    method: op.method,
    headers: { host: "localhost", "content-type": "application/json", ...auth },
    body: op.method === "GET" || op.method === "HEAD" ? undefined : "{}",
  });
  // Never wait on a stream (live events, logs): the status is all the walk needs.
  await response.body?.cancel();
  return response.status;
}

beforeAll(async () => {
  app = await createTestApp({ deploymentMode: "authenticated" });
  const owner = await signUpOwner(app);
  const mk = async (path: string, body: unknown) => {
    const res = await rawCall(app, "POST", path, body, owner.headers);
    expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(201);
    return res.body as { id: string };
  };
  const a = await mk("/api/companies", { name: "Walk A" });
  const b = await mk("/api/companies", { name: "Walk B" });
  const agentA = await mk(`/api/companies/${a.id}/agents`, {
    name: "walker-a",
    role: "engineer",
    adapterType: "process",
    adapterConfig: { command: "/bin/true" },
  });
  const agentB = await mk(`/api/companies/${b.id}/agents`, {
    name: "walker-b",
    role: "engineer",
    adapterType: "process",
    adapterConfig: { command: "/bin/true" },
  });
  const issue = await mk(`/api/companies/${a.id}/issues`, { title: "walk me" });
  const comment = await mk(`/api/issues/${issue.id}/comments`, { body: "a comment" });
  const project = await mk(`/api/companies/${a.id}/projects`, { name: "Walk project" });
  const goal = await mk(`/api/companies/${a.id}/goals`, { title: "Walk goal" });
  const label = await mk(`/api/companies/${a.id}/labels`, { name: "walk", color: "#336699" });
  const runs: Record<string, string> = {};
  for (const [name, agent, company] of [
    ["A", agentA, a],
    ["B", agentB, b],
  ] as const) {
    const [run] = await app.tdb.db.query<{ id: string }>(
      "INSERT INTO heartbeat_runs (company_id, agent_id, status) VALUES ($1, $2, 'running') RETURNING id",
      [company.id, agent.id],
    );
    runs[name] = run!.id;
    const key = await mk(`/api/agents/${agent.id}/keys`, { name: "walk" });
    agentTokens[name] = {
      key: (key as unknown as { token: string }).token,
      jwt: signAgentJwt({ agentId: agent.id, companyId: company.id, adapterType: "process", runId: run!.id }, TEST_JWT_SECRET, 3600),
    };
  }
  ids = {
    company: a.id,
    agent: agentA.id,
    issue: issue.id,
    comment: comment.id,
    project: project.id,
    goal: goal.id,
    label: label.id,
    run: runs.A!,
  };
  viewer = await inviteAndSignUp(app, owner, a.id, "viewer");
  outsider = await inviteAndSignUp(app, owner, b.id, "member");
}, 120_000);

afterAll(async () => {
  await app?.tdb.drop();
});

describe("route walk over the OpenAPI document", () => {
  let ops: Op[] = [];
  beforeAll(async () => {
    const doc = await app.get("/api/openapi.json", { anonymous: true });
    ops = operations(doc.body).filter((op) => op.route?.access !== "public" && !SELF_SERVICE.some((re) => re.test(op.template)));
  });

  it("walks every operation of the document (none is left out unnoticed)", async () => {
    const doc = await app.get("/api/openapi.json", { anonymous: true });
    const all = operations(doc.body);
    expect(all.length).toBeGreaterThan(100);
    expect(all.filter((op) => !op.route).map((op) => `${op.method} ${op.template}`)).toEqual([]);
    expect(ops.length).toBeGreaterThan(all.length * 0.7);
  });

  it("a viewer: 403 on every write; reads answer unless the role table says otherwise", async () => {
    const wrong: string[] = [];
    for (const op of ops) {
      const status = await send(op, viewer.headers);
      const name = `${op.method} ${op.template}`;
      const expected =
        op.route?.access === "agent"
          ? "401"
          : VIEWER_SELF_WRITES.has(name)
            ? "not 401/403"
            : op.method !== "GET"
              ? "403"
              : VIEWER_READ_FORBIDDEN.has(name)
                ? "403"
                : "not 401/403";
      const ok = expected === "not 401/403" ? status !== 401 && status !== 403 : String(status) === expected;
      if (!ok) wrong.push(`${name} -> ${status} (expected ${expected})`);
    }
    expect(wrong).toEqual([]);
  });

  for (const who of ["member of another company", "agent key of another company", "run JWT of another company"] as const) {
    it(`${who}: 403 or 404 on everything addressed to company A`, async () => {
      const auth =
        who === "member of another company"
          ? outsider.headers
          : { authorization: `Bearer ${who.startsWith("agent key") ? agentTokens.B.key : agentTokens.B.jwt}` };
      const wrong: string[] = [];
      let walked = 0;
      for (const op of ops) {
        if (!addressesCompanyA(concrete(op.template))) continue;
        walked++;
        const status = await send(op, auth);
        if (status !== 403 && status !== 404) wrong.push(`${op.method} ${op.template} -> ${status}`);
      }
      expect(walked).toBeGreaterThan(60);
      expect(wrong).toEqual([]);
    });
  }

  for (const kind of ["key", "jwt"] as const) {
    it(`an agent of company A (${kind === "key" ? "API key" : "run JWT"}): 403 on every board-only route`, async () => {
      const wrong: string[] = [];
      const boardOnly = ops.filter((op) => op.route?.access === "board");
      expect(boardOnly.length).toBeGreaterThan(30);
      for (const op of boardOnly) {
        const status = await send(op, { authorization: `Bearer ${agentTokens.A[kind]}` });
        if (status !== 403) wrong.push(`${op.method} ${op.template} -> ${status}`);
      }
      expect(wrong).toEqual([]);
    });
  }
});
