import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createCompany } from "./helpers/fixtures.js";

const t = useTestApp();

describe("health and openapi", () => {
  it("GET /api/health answers status, version and deployment mode", async () => {
    const res = await t.current.get("/api/health");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "ok", deploymentMode: "local_trusted" });
    expect(typeof res.body.version).toBe("string");
  });

  it("GET /api/openapi.json is generated from the route table and its schemas", async () => {
    const res = await t.current.get("/api/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    const paths = Object.keys(res.body.paths);
    for (const p of [
      "/api/companies",
      "/api/companies/{companyId}/issues",
      "/api/issues/{id}",
      "/api/issues/{id}/documents/{key}",
      "/api/agents/{id}/keys/{keyId}",
      "/api/companies/{companyId}/activity",
    ]) {
      expect(paths).toContain(p);
    }
    const createIssue = res.body.paths["/api/companies/{companyId}/issues"].post;
    expect(createIssue.requestBody.content["application/json"].schema.properties.title).toBeDefined();
    expect(createIssue.requestBody.content["application/json"].schema.properties.status.enum).toContain("in_review");
    expect(res.body.components.schemas.Issue.properties.identifier).toBeDefined();
    const listIssues = res.body.paths["/api/companies/{companyId}/issues"].get;
    expect(listIssues.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(["companyId", "status", "limit", "q"]),
    );
  });
});

describe("error answers", () => {
  it("unknown API route -> 404 with an error body", async () => {
    const res = await t.current.get("/api/nope");
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: "API route not found" });
  });

  it("malformed JSON -> 400 naming the problem, never 500", async () => {
    const company = await createCompany(t.current);
    const res = await t.current.call("POST", `/api/companies/${company.id}/issues`, { rawBody: '{"title":' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/Malformed JSON body/);
  });

  it("a JSON body that is not an object -> 400", async () => {
    const company = await createCompany(t.current);
    for (const raw of ["[]", '"x"', "42", "null"]) {
      const res = await t.current.call("POST", `/api/companies/${company.id}/issues`, { rawBody: raw });
      expect(res.status, raw).toBe(400);
      expect(res.body.error).toBe("Validation error");
    }
  });

  it("wrong field types and unknown fields -> 400 with the path of each problem", async () => {
    const company = await createCompany(t.current);
    const res = await t.current.post(`/api/companies/${company.id}/issues`, { title: "x", status: "doing", priority: 5, bogus: 1 });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("Validation error");
    const paths = res.body.details.map((d: { path: unknown[] }) => d.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["status", "priority"]));
    expect(JSON.stringify(res.body.details)).toContain("bogus");
  });

  it("non-uuid ids in paths -> 404, not 500", async () => {
    for (const path of [
      "/api/companies/not-a-uuid",
      "/api/companies/not-a-uuid/issues",
      "/api/issues/not-a-uuid",
      "/api/agents/not-a-uuid",
      "/api/goals/x",
      "/api/projects/x",
    ]) {
      const res = await t.current.get(path);
      expect(res.status, path).toBe(404);
      expect(typeof res.body.error).toBe("string");
    }
  });

  it("an oversized body -> 413", async () => {
    const company = await createCompany(t.current);
    const res = await t.current.call("POST", `/api/companies/${company.id}/issues`, {
      rawBody: JSON.stringify({ title: "x", description: "a".repeat(3 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
  });
});
