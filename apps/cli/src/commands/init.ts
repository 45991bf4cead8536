import { noExtraPositionals, stringOption } from "../args.js";
import type { CommandGroup } from "../command.js";
import { printImportResult } from "./company-package-output.js";

const usage = `Usage: staple init [--template <name>] [--name <company name>]

  staple init                              list the bundled starter templates
  staple init --template <name>            create a ready company from a template
      --name <text>                        the company's name (default: the template's)

Global options: --json (print the server's JSON), --api <url>, --api-key <key>
`;

export const initGroup: CommandGroup = {
  name: "init",
  summary: "create a company from a starter template",
  usage,
  default: "run",
  subcommands: {
    run: {
      options: { template: { type: "string" }, name: { type: "string" } },
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 0, usage);
        const template = stringOption(parsed, "template");
        if (!template) {
          const templates = await ctx.call(ctx.client.GET("/api/company-templates"));
          if (ctx.globals.json) return ctx.printJson(templates);
          ctx.print("Starter templates (staple init --template <name>):");
          for (const t of templates) ctx.print(`  ${t.name.padEnd(22)} ${t.description} (${t.agents} agents)`);
          return;
        }
        const name = stringOption(parsed, "name");
        const result = await ctx.call(ctx.client.POST("/api/companies/from-template", { body: { template, ...(name ? { name } : {}) } }));
        if (ctx.globals.json) return ctx.printJson(result);
        printImportResult(ctx, result);
      },
    },
  },
};
