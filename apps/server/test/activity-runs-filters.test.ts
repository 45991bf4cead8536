import { describe, expect, it } from "vitest";
import { useTestApp } from "./helpers/test-app.js";
import { createAgent, createCompany, createIssue } from "./helpers/fixtures.js";

const t = useTestApp();
const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";

async function list(path: string) {
  const res = await t.current.get(path);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as any[];
}

async function insertActivity(companyId: string, action: string, at: string, extra: { agentId?: string; actorType?: string } = {}) {
  const [row] = await t.current.tdb.db.query<{ id: string }>(
    `INSERT INTO activity_log (company_id, actor_type, actor_id, action, entity_type, entity_id, agent_id, created_at)
     VALUES ($1, $2, $3, $4, 'issue', gen_random_uuid()::text, $5, $6) RETURNING id`,
    [companyId, extra.actorType ?? "system", extra.agentId ?? "system", action, extra.agentId ?? null, at],
  );
  return row!.id;
}

async function insertRun(companyId: string, agentId: string, issueId: string | null, at: string) {
  const [row] = await t.current.tdb.db.query<{ id: string }>(
    "INSERT INTO heartbeat_runs (company_id, agent_id, issue_id, status, created_at) VALUES ($1, $2, $3, 'succeeded', $4) RETURNING id",
    [companyId, agentId, issueId, at],
  );
  return row!.id;
}

describe("company activity filters", () => {
  it("filters by agent, actor type, action, date range and hides lease/claim rows on request", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id);
    const byAgent = await insertActivity(company.id, "issue.comment_added", "2026-03-02T10:00:00Z", {
      agentId: agent.id,
      actorType: "agent",
    });
    const lease = await insertActivity(company.id, "environment.lease_acquired", "2026-03-02T11:00:00Z", {
      agentId: agent.id,
      actorType: "agent",
    });
    const claim = await insertActivity(company.id, "issue.checked_out", "2026-03-03T09:00:00Z");
    const old = await insertActivity(company.id, "issue.updated", "2026-02-01T09:00:00Z");
    // Rows the fixtures wrote today (company and agent created) fall outside this window.
    const url = `/api/companies/${company.id}/activity?from=2026-01-01&to=2026-04-01&`;

    expect((await list(`${url}agentId=${agent.id}`)).map((r) => r.id)).toEqual([lease, byAgent]);
    expect((await list(`${url}agentId=${agent.id}&hideNoise=true`)).map((r) => r.id)).toEqual([byAgent]);
    expect((await list(`${url}action=issue.checked_out`)).map((r) => r.id)).toEqual([claim]);
    expect((await list(`${url}actorType=agent`)).map((r) => r.id)).toEqual([lease, byAgent]);
    const march = await list(`/api/companies/${company.id}/activity?from=2026-03-01&to=2026-03-03`);
    expect(march.map((r) => r.id)).toEqual([lease, byAgent]);
    const hidden = (await list(`${url}hideNoise=true`)).map((r) => r.action);
    expect(hidden).not.toContain("environment.lease_acquired");
    expect(hidden).not.toContain("issue.checked_out");
    expect((await list(`/api/companies/${company.id}/activity?to=2026-02-02`)).map((r) => r.id)).toEqual([old]);
  });

  it("pages with a cursor (the previous page's last id) without repeats or gaps", async () => {
    const company = await createCompany(t.current);
    const ids: string[] = [];
    // Five rows in the same millisecond: the id breaks ties, so paging stays exact.
    for (let i = 0; i < 5; i++) ids.push(await insertActivity(company.id, "issue.updated", "2026-04-01T00:00:00.123456Z"));
    const url = `/api/companies/${company.id}/activity?action=issue.updated&limit=2`;
    const seen: string[] = [];
    let cursor = "";
    for (let page = 0; page < 5; page++) {
      const rows = await list(`${url}${cursor ? `&cursor=${cursor}` : ""}`);
      if (!rows.length) break;
      seen.push(...rows.map((r) => r.id));
      cursor = rows.at(-1).id;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(new Set(ids));
  });

  it("answers 400 naming the bad filter, and a cursor from another company is unknown", async () => {
    const a = await createCompany(t.current);
    const b = await createCompany(t.current);
    const foreign = await insertActivity(b.id, "issue.updated", "2026-05-01T00:00:00Z");
    const url = `/api/companies/${a.id}/activity?`;
    for (const [query, field] of [
      ["from=yesterday", "from"],
      ["actorType=robot", "actorType"],
      ["agentId=nope", "agentId"],
      ["hideNoise=yes", "hideNoise"],
      [`cursor=${foreign}`, "cursor"],
      ["from=2026-03-02&to=2026-03-01", "from"],
    ] as const) {
      const res = await t.current.get(`${url}${query}`);
      expect(res.status, query).toBe(400);
      expect(JSON.stringify(res.body), query).toContain(field);
    }
  });

  it("company scoping: one company's filters never list another's rows", async () => {
    const a = await createCompany(t.current);
    const b = await createCompany(t.current);
    await insertActivity(b.id, "issue.updated", "2026-06-01T00:00:00Z");
    const mine = await insertActivity(a.id, "issue.updated", "2026-06-01T00:00:00Z");
    expect((await list(`/api/companies/${a.id}/activity?action=issue.updated&from=2026-06-01`)).map((r) => r.id)).toEqual([mine]);
  });
});

describe("company activity CSV", () => {
  it("exports the filtered rows as CSV with a header, actor names and quoted fields", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, { name: "Margaret" });
    const issue = await createIssue(t.current, company.id, { title: 'Quote "this", please' });
    await insertActivity(company.id, "environment.lease_acquired", "2026-03-02T11:00:00Z", { agentId: agent.id, actorType: "agent" });
    await t.current.tdb.db.query(
      `INSERT INTO activity_log (company_id, actor_type, actor_id, action, entity_type, entity_id, agent_id, details, created_at)
       VALUES ($1, 'agent', $2::text, 'issue.comment_added', 'issue', $3, $2::uuid, $4::jsonb, '2026-03-02T12:00:00Z')`,
      [company.id, agent.id, issue.id, JSON.stringify({ identifier: issue.identifier, note: "=SUM(A1)" })],
    );
    const res = await t.current.app.request(
      `/api/companies/${company.id}/activity.csv?agentId=${agent.id}&hideNoise=true&from=2026-03-01&to=2026-04-01`,
      {
        headers: { authorization: `Bearer ${t.current.boardToken}` },
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    expect(res.headers.get("content-disposition")).toContain("attachment");
    const lines = (await res.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe("createdAt,actorType,actorId,actorName,action,entityType,entityId,identifier,agentId,runId,details");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`,Margaret,issue.comment_added,issue,${issue.id},${issue.identifier},`);
    // The details JSON is one quoted field with its quotes doubled.
    expect(lines[1]).toMatch(/,"\{""[^\r\n]*""identifier"":""[A-Z]+-\d+""[^\r\n]*\}"$/);

    const bad = await t.current.get(`/api/companies/${company.id}/activity.csv?from=soon`);
    expect(bad.status).toBe(400);
    const anonymous = await t.current.get(`/api/companies/${company.id}/activity.csv`, { anonymous: true });
    expect(anonymous.status).toBe(401);
  });
});

describe("company run list", () => {
  it("carries the issue and cost, filters by issue (id or identifier), agent and status, and pages by cursor", async () => {
    const company = await createCompany(t.current);
    const ada = await createAgent(t.current, company.id);
    const bob = await createAgent(t.current, company.id);
    const issue = await createIssue(t.current, company.id, { title: "Ship the runs list" });
    const first = await insertRun(company.id, ada.id, issue.id, "2026-03-01T00:00:00Z");
    const second = await insertRun(company.id, bob.id, null, "2026-03-02T00:00:00Z");
    const third = await insertRun(company.id, ada.id, issue.id, "2026-03-03T00:00:00Z");
    await t.current.tdb.db.query(
      "INSERT INTO cost_events (company_id, agent_id, issue_id, heartbeat_run_id, cost_cents) VALUES ($1, $2, $3, $4, 22)",
      [company.id, ada.id, issue.id, first],
    );
    const url = `/api/companies/${company.id}/heartbeat-runs?`;
    const all = await list(url);
    expect(all.map((r) => r.id)).toEqual([third, second, first]);
    const row = all.find((r) => r.id === first);
    expect(row).toMatchObject({ issueId: issue.id, issueIdentifier: issue.identifier, issueTitle: "Ship the runs list", costCents: 22 });
    expect(all.find((r) => r.id === second)).toMatchObject({ issueId: null, issueIdentifier: null, costCents: 0 });

    expect((await list(`${url}issueId=${issue.id}`)).map((r) => r.id)).toEqual([third, first]);
    expect((await list(`${url}issueId=${issue.identifier.toLowerCase()}`)).map((r) => r.id)).toEqual([third, first]);
    expect((await list(`${url}agentId=${bob.id}`)).map((r) => r.id)).toEqual([second]);
    expect((await list(`${url}limit=1&cursor=${third}`)).map((r) => r.id)).toEqual([second]);
    expect((await list(`${url}cursor=${second}`)).map((r) => r.id)).toEqual([first]);
    expect((await list(`${url}summary=true&issueId=${issue.id}`))[0]).toMatchObject({ issueIdentifier: issue.identifier });
  });

  it("answers 400 for an unknown issue, another company's issue or run cursor, and a bad status", async () => {
    const a = await createCompany(t.current);
    const b = await createCompany(t.current);
    const bAgent = await createAgent(t.current, b.id);
    const bIssue = await createIssue(t.current, b.id);
    const bRun = await insertRun(b.id, bAgent.id, bIssue.id, "2026-03-01T00:00:00Z");
    const url = `/api/companies/${a.id}/heartbeat-runs?`;
    for (const [query, field] of [
      [`issueId=${bIssue.id}`, "issueId"],
      [`issueId=${bIssue.identifier}`, "issueId"],
      [`issueId=${UNKNOWN_UUID}`, "issueId"],
      [`cursor=${bRun}`, "cursor"],
      ["cursor=abc", "cursor"],
      ["status=sleepy", "status"],
    ] as const) {
      const res = await t.current.get(`${url}${query}`);
      expect(res.status, query).toBe(400);
      expect(JSON.stringify(res.body), query).toContain(field);
    }
  });
});

describe("csvField", () => {
  it("quotes commas, quotes and line breaks, and defuses spreadsheet formulas", async () => {
    const { csvField } = await import("../src/activity/csv.js");
    expect(csvField("plain")).toBe("plain");
    expect(csvField('a "b", c')).toBe('"a ""b"", c"');
    expect(csvField("line\nbreak")).toBe('"line\nbreak"');
    expect(csvField("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvField(null)).toBe("");
  });
});
