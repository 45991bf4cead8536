import { intOption, noExtraPositionals, stringOption } from "../args.js";
import type { CommandGroup } from "../command.js";
import { UsageError } from "../errors.js";
import type { JsonBody } from "../http-client.js";
import { formatCents, formatTime, renderTable } from "../table.js";

const usage = `Usage: staple company <list|create> [options]

  staple company list                      list the companies you can see
  staple company create <name> [options]   create a company (its issue prefix comes from the name)
      --description <text>
      --budget-cents <n>                   monthly budget in cents (0 = none)

Global options: --json (print the server's JSON), --api <url>, --api-key <key>
`;

type Body = JsonBody<"/api/companies", "post">;

export const companyGroup: CommandGroup = {
  name: "company",
  summary: "list and create companies",
  usage,
  subcommands: {
    list: {
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 0, usage);
        const companies = await ctx.call(ctx.client.GET("/api/companies"));
        if (ctx.globals.json) return ctx.printJson(companies);
        if (companies.length === 0) return ctx.print("No companies yet. Create one: staple company create <name>");
        ctx.print(
          renderTable(companies, [
            { header: "ID", value: (c) => c.id },
            { header: "PREFIX", value: (c) => c.issuePrefix },
            { header: "NAME", value: (c) => c.name },
            { header: "STATUS", value: (c) => c.status },
            {
              header: "BUDGET",
              value: (c) => (c.budgetMonthlyCents ? `${formatCents(c.spentMonthlyCents)}/${formatCents(c.budgetMonthlyCents)}` : "-"),
            },
            { header: "CREATED", value: (c) => formatTime(c.createdAt) },
          ]),
        );
      },
    },
    create: {
      options: { description: { type: "string" }, "budget-cents": { type: "string" } },
      async run(ctx, parsed) {
        const name = parsed.positionals.join(" ").trim();
        if (!name) throw new UsageError("missing <name>", usage);
        const body: Body = { name };
        const description = stringOption(parsed, "description");
        if (description !== undefined) body.description = description;
        const budget = intOption(parsed, "budget-cents", usage);
        if (budget !== undefined) body.budgetMonthlyCents = budget;
        const company = await ctx.call(ctx.client.POST("/api/companies", { body }));
        if (ctx.globals.json) return ctx.printJson(company);
        ctx.print(`Created company ${company.name} (prefix ${company.issuePrefix}): ${company.id}`);
      },
    },
  },
};
