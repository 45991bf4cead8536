import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CreateIssueBody, ListRunsQuery } from "@staple/contracts";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";
import { IGNORED_FIELDS_HEADER, modelledKeys, routeKey } from "../src/http/paperclip-compat.js";
import knownFields from "../src/http/paperclip-known-fields.json" with { type: "json" };

const t = useTestApp();
const here = path.dirname(fileURLToPath(import.meta.url));

/** A request through the app that keeps the response headers (the helper's call drops them). */
async function send(method: string, url: string, body?: unknown) {
  const headers: Record<string, string> = { authorization: `Bearer ${t.current.boardToken}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await t.current.app.request(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, ignored: res.headers.get(IGNORED_FIELDS_HEADER), body: (await res.json()) as any };
}

describe("the known-fields table", () => {
  const routes = (knownFields as { routes: Record<string, { body?: string[]; query?: string[] }> }).routes;

  it("holds the fields of both Paperclip versions (2026.707's create-issue body, 2026.916's query parameters)", () => {
    // 2026.916.1 publishes an empty schema for issue creation: only 2026.707's document names these.
    expect(routes["post /api/companies/{}/issues"]?.body).toEqual(
      expect.arrayContaining(["workMode", "requestDepth", "title", "executionPolicy"]),
    );
    expect(routes["get /api/issues/{}/work-products"]?.query).toContain("refreshPullRequests");
    expect(routes["post /api/issues/{}/inbox-archive"]?.body).toEqual(["userId"]);
  });

  // Paperclip's published OpenAPI documents are inputs of the generator, not part of this repository
  // (docs/api-compatibility.md#ignored-fields): where they are absent the check is reported as skipped.
  const peerDocs = path.resolve(here, "../../../../shared/docs");
  it.skipIf(!fs.existsSync(path.join(peerDocs, "peer-openapi.json")))(
    "is what the generator writes from the OpenAPI documents (not hand-edited)",
    () => {
      const script = path.resolve(here, "../scripts/generate-paperclip-known-fields.mjs");
      expect(execFileSync(process.execPath, [script, "--check"], { encoding: "utf8" })).toContain("up to date");
    },
  );

  it("route keys ignore parameter names; modelled keys read through zod wrappers", () => {
    expect(routeKey("GET", "/api/issues/:id/comments/:commentId")).toBe(routeKey("get", "/api/issues/{issueId}/comments/{commentId}"));
    expect(modelledKeys(CreateIssueBody)!.has("title")).toBe(true);
    expect(modelledKeys(CreateIssueBody)!.has("workMode")).toBe(false);
    expect([...modelledKeys(ListRunsQuery.optional())!]).toContain("summary");
    expect(modelledKeys(z.record(z.string(), z.unknown()))).toBeNull();
  });
});

describe("Paperclip request bodies", () => {
  it("the exact create-issue body of the paperclipai 2026.707 CLI -> 201, unmodelled fields named in Staple-Ignored-Fields", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const parent = await createIssue(t.current, company.id);
    const goal = await t.current.post(`/api/companies/${company.id}/goals`, { title: "Ship it" });
    const project = await t.current.post(`/api/companies/${company.id}/projects`, { name: "Compat" });
    expect(goal.status).toBe(201);
    expect(project.status).toBe(201);
    // `paperclipai issue create` parses its options with the shared create schema, which fills in
    // workMode "standard" and requestDepth 0 (or the --request-depth given), then posts the result.
    const cliBody = {
      title: "Fix the rate limiter",
      description: "Valid requests are dropped under load.",
      status: "todo",
      workMode: "standard",
      priority: "high",
      assigneeAgentId: agent.id,
      projectId: project.body.id,
      goalId: goal.body.id,
      parentId: parent.id,
      requestDepth: 3,
      billingCode: "ENG-42",
    };
    const res = await send("POST", `/api/companies/${company.id}/issues`, cliBody);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.ignored).toBe("workMode, requestDepth");
    expect(res.body).toMatchObject({
      title: "Fix the rate limiter",
      description: "Valid requests are dropped under load.",
      status: "todo",
      priority: "high",
      assigneeAgentId: agent.id,
      projectId: project.body.id,
      goalId: goal.body.id,
      parentId: parent.id,
      billingCode: "ENG-42",
      // Ignored, not applied: the board's issue keeps Staple's own depth and mode.
      requestDepth: 0,
      workMode: "standard",
    });
  });

  it("a key in neither schema is still a 400 naming it, even beside ignorable ones", async () => {
    const company = await createCompany(t.current);
    const res = await send("POST", `/api/companies/${company.id}/issues`, { title: "x", workMode: "standard", bogusField: 1 });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain("bogusField");
    expect(JSON.stringify(res.body)).not.toContain("workMode");
    const [{ count }] = await t.current.tdb.db.query<{ count: number }>("SELECT count(*)::int AS count FROM issues WHERE company_id = $1", [
      company.id,
    ]);
    expect(count).toBe(0);
  });

  it("a modelled field is never stripped: a bad value is still a 400", async () => {
    const company = await createCompany(t.current);
    const res = await send("POST", `/api/companies/${company.id}/issues`, { title: "x", priority: "urgent", requestDepth: 1 });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain("priority");
  });

  it("no header when nothing was ignored; PATCH with Paperclip's hiddenAt/reviewRequest -> 200 naming them", async () => {
    const company = await createCompany(t.current);
    const plain = await send("POST", `/api/companies/${company.id}/issues`, { title: "plain" });
    expect(plain.status).toBe(201);
    expect(plain.ignored).toBeNull();
    const res = await send("PATCH", `/api/issues/${plain.body.id}`, { priority: "low", hiddenAt: null, reviewRequest: null });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.priority).toBe("low");
    expect(res.ignored).toBe("hiddenAt, reviewRequest");
  });
});

describe("Paperclip fields that are refused rather than ignored", () => {
  it("a restricted key scope or a status transition by PATCH -> 400 naming the field, nothing changed", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const scoped = await send("POST", `/api/agents/${agent.id}/keys`, { name: "bridge", scope: { kind: "task_bridge", projectIds: [] } });
    expect(scoped.status).toBe(400);
    expect(JSON.stringify(scoped.body)).toContain("scope");
    expect((await t.current.get(`/api/agents/${agent.id}/keys`)).body).toEqual([]);
    const paused = await send("PATCH", `/api/agents/${agent.id}`, { status: "paused" });
    expect(paused.status).toBe(400);
    expect(JSON.stringify(paused.body)).toContain("status");
    expect((await t.current.get(`/api/agents/${agent.id}`)).body.status).toBe("idle");
    const archived = await send("PATCH", `/api/companies/${company.id}`, { status: "archived" });
    expect(archived.status).toBe(400);
    // The read-only counter beside it is harmless to ignore.
    const counter = await send("PATCH", `/api/companies/${company.id}`, { spentMonthlyCents: 5 });
    expect(counter.status).toBe(200);
    expect(counter.ignored).toBe("spentMonthlyCents");
    expect(counter.body.spentMonthlyCents).toBe(0);
  });
});

describe("Paperclip query parameters", () => {
  it("known but unmodelled query names are ignored and named; unknown ones are still a 400", async () => {
    const company = await createCompany(t.current);
    await createIssue(t.current, company.id, { title: "listed" });
    const ok = await send("GET", `/api/companies/${company.id}/issues?includeRoutineExecutions=true&status=backlog`);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.ignored).toBe("includeRoutineExecutions");
    expect(ok.body.map((i: { title: string }) => i.title)).toContain("listed");
    const bad = await send("GET", `/api/companies/${company.id}/issues?frobnicate=1`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("frobnicate");
  });

  it("a route without a query schema names the Paperclip parameters it ignores", async () => {
    const company = await createCompany(t.current);
    const issue = await createIssue(t.current, company.id);
    const res = await send("GET", `/api/issues/${issue.id}/documents?includeSystem=true`);
    expect(res.status).toBe(200);
    expect(res.ignored).toBe("includeSystem");
  });
});

describe("GET /api/companies/:companyId/heartbeat-runs?summary=true", () => {
  it("compact rows (heavy fields null, context cut to wake ids); limit=1000 accepted; without summary the fields are there", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    await t.current.tdb.db.query(
      `INSERT INTO heartbeat_runs (company_id, agent_id, status, usage_json, result_json, session_id_before, session_id_after, log_ref,
         context_snapshot, finished_at)
       VALUES ($1, $2, 'succeeded', '{"inputTokens": 5}', '{"summary": "did it"}', 'sess-a', 'sess-b', 'c/a/r.ndjson',
         '{"issueId": "i-1", "wakeReason": "assignment", "bigPrompt": "xxxxxxxx"}', now())`,
      [company.id, agent.id],
    );
    const compact = await send("GET", `/api/companies/${company.id}/heartbeat-runs?summary=true&limit=1000`);
    expect(compact.status, JSON.stringify(compact.body)).toBe(200);
    expect(compact.ignored).toBeNull();
    expect(compact.body).toHaveLength(1);
    expect(compact.body[0]).toMatchObject({
      agentId: agent.id,
      status: "succeeded",
      usageJson: null,
      resultJson: null,
      sessionIdBefore: null,
      sessionIdAfter: null,
      logRef: null,
      contextSnapshot: { issueId: "i-1", wakeReason: "assignment" },
    });
    expect(compact.body[0].contextSnapshot).not.toHaveProperty("bigPrompt");

    const full = await send("GET", `/api/companies/${company.id}/heartbeat-runs`);
    expect(full.body[0]).toMatchObject({ usageJson: { inputTokens: 5 }, sessionIdAfter: "sess-b", resultJson: { summary: "did it" } });
    expect(Object.keys(full.body[0]).sort()).toEqual(Object.keys(compact.body[0]).sort());

    expect((await send("GET", `/api/companies/${company.id}/heartbeat-runs?summary=yes`)).status).toBe(400);
    expect((await send("GET", `/api/companies/${company.id}/heartbeat-runs?limit=1001`)).status).toBe(400);
  });
});
