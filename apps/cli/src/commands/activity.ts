import { intOption, noExtraPositionals, stringOption } from "../args.js";
import type { CommandGroup } from "../command.js";
import { agentNames, resolveAgentId, resolveCompanyId } from "../scope.js";
import { formatTime, renderTable } from "../table.js";

const usage = `Usage: staple activity [--agent <agent>] [--entity-type <t>] [--entity-id <id>] [--limit <n>]

The company's audit trail, newest first (limit 100 by default, at most 500).

Global options: --company <id|prefix|name>, --json, --api <url>, --api-key <key>
`;

export const activityGroup: CommandGroup = {
  name: "activity",
  summary: "the company's audit trail",
  usage,
  default: "list",
  subcommands: {
    list: {
      options: { agent: { type: "string" }, "entity-type": { type: "string" }, "entity-id": { type: "string" }, limit: { type: "string" } },
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 0, usage);
        const limit = intOption(parsed, "limit", usage); // usage errors before any request
        const companyId = await resolveCompanyId(ctx);
        const agent = stringOption(parsed, "agent");
        const query = {
          agentId: agent === undefined ? undefined : await resolveAgentId(ctx, agent, companyId),
          entityType: stringOption(parsed, "entity-type"),
          entityId: stringOption(parsed, "entity-id"),
          limit: limit === undefined ? undefined : String(limit),
        };
        const entries = await ctx.call(ctx.client.GET("/api/companies/{companyId}/activity", { params: { path: { companyId }, query } }));
        if (ctx.globals.json) return ctx.printJson(entries);
        if (entries.length === 0) return ctx.print("No activity.");
        const names = await agentNames(ctx, companyId);
        ctx.print(
          renderTable(entries, [
            { header: "TIME", value: (e) => formatTime(e.createdAt) },
            {
              header: "ACTOR",
              value: (e) => (e.actorType === "agent" ? `agent:${names.get(e.actorId) ?? e.actorId}` : `${e.actorType}:${e.actorId}`),
              max: 30,
            },
            { header: "ACTION", value: (e) => e.action },
            { header: "ENTITY", value: (e) => `${e.entityType}:${e.entityId}`, max: 60 },
            { header: "RUN", value: (e) => e.runId },
          ]),
        );
      },
    },
  },
};
