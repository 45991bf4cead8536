import { intOption, noExtraPositionals, stringOption } from "../args.js";
import type { CommandGroup } from "../command.js";
import { UsageError } from "../errors.js";
import type { JsonBody } from "../http-client.js";
import { formatCents, formatTime, renderTable } from "../table.js";
import { readPackage, writePackage } from "../package-files.js";
import { printPreview, printImportResult } from "./company-package-output.js";

const usage = `Usage: staple company <list|create|export|import> [options]

  staple company list                      list the companies you can see
  staple company create <name> [options]   create a company (its issue prefix comes from the name)
      --description <text>
      --budget-cents <n>                   monthly budget in cents (0 = none)
  staple company export <id> [--out <dir|file.zip|file.json>]
                                           write the company as a package (default: a folder named after it)
  staple company import <dir|file.zip|file.json> [options]
                                           show what the package creates, ignores and conflicts with, then import it
      --preview                            only show the preview
      --into <company id>                  import into an existing company instead of a new one
      --name <text>                        name of the new company (default: the package's)
      --skip-existing                      reuse existing agents of the same name instead of renaming

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
    export: {
      options: { out: { type: "string" } },
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 1, usage);
        const companyId = parsed.positionals[0];
        if (!companyId) throw new UsageError("missing <id>", usage);
        const exported = await ctx.call(
          ctx.client.POST("/api/companies/{companyId}/exports", { params: { path: { companyId } }, body: {} }),
        );
        const out = stringOption(parsed, "out") ?? exported.rootPath;
        writePackage(out, exported);
        for (const warning of exported.warnings) ctx.note(`warning: ${warning}`);
        if (ctx.globals.json) return ctx.printJson({ out, files: Object.keys(exported.files).length, warnings: exported.warnings });
        ctx.print(`Exported ${Object.keys(exported.files).length} files to ${out}`);
      },
    },
    import: {
      options: { preview: { type: "boolean" }, into: { type: "string" }, name: { type: "string" }, "skip-existing": { type: "boolean" } },
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 1, usage);
        const from = parsed.positionals[0];
        if (!from) throw new UsageError("missing <dir|file.zip|file.json>", usage);
        const into = stringOption(parsed, "into");
        const name = stringOption(parsed, "name");
        if (into && name) throw new UsageError("--name names a new company; it cannot be combined with --into", usage);
        const files = readPackage(from);
        const source = { type: "inline" as const, files };
        const collisionStrategy = parsed.values["skip-existing"] ? ("skip" as const) : ("rename" as const);
        const target = into
          ? { mode: "existing_company" as const, companyId: into }
          : { mode: "new_company" as const, newCompanyName: name ?? null };
        const preview = await ctx.call(ctx.client.POST("/api/companies/import/preview", { body: { source, target, collisionStrategy } }));
        if (parsed.values.preview) {
          if (ctx.globals.json) return ctx.printJson(preview);
          return printPreview(ctx, preview);
        }
        if (!ctx.globals.json) printPreview(ctx, preview);
        const result = await ctx.call(ctx.client.POST("/api/companies/import", { body: { source, target, collisionStrategy } }));
        if (ctx.globals.json) return ctx.printJson(result);
        printImportResult(ctx, result);
      },
    },
  },
};
