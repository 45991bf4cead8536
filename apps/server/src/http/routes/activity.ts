import { z } from "zod";
import { ACTIVITY_CSV_MAX_ROWS, ActivityEntry, ActivityQuery } from "@staple/contracts";
import { defineRoute, ok } from "../route.js";
import { activityCsv } from "../../activity/csv.js";

const base = { tag: "activity", access: "any" } as const;

export const activityRoutes = [
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/activity",
    summary:
      "Company activity, newest first (limit 100 by default, clamped to 1..500); filters agentId, actorType, action, entityType, entityId, runId, from, to, hideNoise; cursor = id of the previous page's last entry",
    query: ActivityQuery,
    responses: { 200: { description: "Activity", schema: z.array(ActivityEntry) } },
    handler: async ({ services, company, query }) => ok(await services.activity.listForCompany(company.id, query)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/activity.csv",
    summary: `Company activity as CSV, newest first, with the list's filters (at most ${ACTIVITY_CSV_MAX_ROWS} rows; cursor continues after an entry)`,
    query: ActivityQuery.omit({ limit: true }),
    responses: { 200: { description: "CSV, one line per entry", contentType: "text/csv" } },
    async handler({ services, company, query }) {
      const rows = await services.activity.exportForCompany(company.id, query, ACTIVITY_CSV_MAX_ROWS);
      const day = new Date().toISOString().slice(0, 10);
      return {
        status: 200,
        body: undefined,
        rawText: { text: activityCsv(rows), contentType: "text/csv; charset=utf-8" },
        headers: { "content-disposition": `attachment; filename="activity-${company.issuePrefix.toLowerCase()}-${day}.csv"` },
      };
    },
  }),
];
