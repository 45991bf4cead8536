import fs from "node:fs";
import type { Schemas } from "@staple/api-client";
import { noExtraPositionals, requirePositional, stringOption, type Parsed } from "../args.js";
import type { CommandGroup } from "../command.js";
import type { Context } from "../context.js";
import { CliError, UsageError } from "../errors.js";
import { agentNames, resolveAgentId, resolveCompanyId } from "../scope.js";
import { formatTime, renderTable } from "../table.js";

const usage = `Usage: staple secret <list|set|grant|revoke> [options]

Company secrets: encrypted on the server, never shown again after they are set (only a mask and a
fingerprint). Agents receive a secret through {"type":"secret_ref","secretId":"<id>"} in their
adapterConfig.env, or read it with their own credential, once it is granted to them.

  staple secret list                          the company's secrets (key, version, fingerprint, grants)
  staple secret set <key> --value-file <path> create the secret, or rotate it to a new value if the key exists
      --value-file <path>                     read the value from a file ("-" = standard input);
                                              one trailing newline is dropped
      --value <text>                          the value on the command line (visible in shell history
                                              and to other local users: prefer --value-file)
      --name <text> --description <text>     on create (the name defaults to the key)
  staple secret grant <key> <agent>           let an agent read it (and use it in its config)
  staple secret revoke <key> <agent>

Global options: --company <id|prefix|name>, --json, --api <url>, --api-key <key>
`;

type Secret = Schemas["CompanySecret"];

function readValue(parsed: Parsed): string {
  const inline = stringOption(parsed, "value");
  const file = stringOption(parsed, "value-file");
  if ((inline === undefined) === (file === undefined))
    throw new UsageError("give exactly one of --value-file <path> or --value <text>", usage);
  if (inline !== undefined) return inline;
  let text: string;
  try {
    text = fs.readFileSync(file === "-" ? 0 : file!, "utf8");
  } catch (error) {
    throw new UsageError(`--value-file ${file}: ${(error as Error).message}`, usage);
  }
  const value = text.endsWith("\r\n") ? text.slice(0, -2) : text.endsWith("\n") ? text.slice(0, -1) : text;
  if (value === "") throw new UsageError(`--value-file ${file} is empty`, usage);
  return value;
}

async function secretsOf(ctx: Context, companyId: string): Promise<Secret[]> {
  return ctx.call(ctx.client.GET("/api/companies/{companyId}/secrets", { params: { path: { companyId } } }));
}

async function findByKey(ctx: Context, companyId: string, key: string): Promise<Secret> {
  const secret = (await secretsOf(ctx, companyId)).find((s) => s.key === key || s.id === key);
  if (!secret) throw new CliError(`No secret with key "${key}" in this company (staple secret list shows them)`);
  return secret;
}

async function changeGrant(ctx: Context, parsed: Parsed, action: "grant" | "revoke") {
  noExtraPositionals(parsed, 2, usage);
  const key = requirePositional(parsed, 0, "key", usage);
  const agentRef = requirePositional(parsed, 1, "agent", usage);
  const companyId = await resolveCompanyId(ctx);
  const secret = await findByKey(ctx, companyId, key);
  const agentId = await resolveAgentId(ctx, agentRef, companyId);
  const updated =
    action === "grant"
      ? await ctx.call(ctx.client.POST("/api/secrets/{secretId}/grants", { params: { path: { secretId: secret.id } }, body: { agentId } }))
      : await ctx.call(
          ctx.client.DELETE("/api/secrets/{secretId}/grants/{agentId}", { params: { path: { secretId: secret.id, agentId } } }),
        );
  if (ctx.globals.json) return ctx.printJson(updated);
  ctx.print(action === "grant" ? `Granted ${updated.key} to agent ${agentRef}` : `Revoked ${updated.key} from agent ${agentRef}`);
}

export const secretGroup: CommandGroup = {
  name: "secret",
  summary: "company secrets: list, set (create or rotate), grant to agents",
  usage,
  subcommands: {
    list: {
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 0, usage);
        const companyId = await resolveCompanyId(ctx);
        const secrets = await secretsOf(ctx, companyId);
        if (ctx.globals.json) return ctx.printJson(secrets);
        if (secrets.length === 0) return ctx.print("No secrets.");
        const names = await agentNames(ctx, companyId);
        ctx.print(
          renderTable(secrets, [
            { header: "KEY", value: (s) => s.key },
            { header: "VALUE", value: (s) => s.valueMask },
            { header: "VERSION", value: (s) => String(s.latestVersion) },
            { header: "FINGERPRINT", value: (s) => s.fingerprint },
            { header: "GRANTED TO", value: (s) => s.grantedAgentIds.map((id) => names.get(id) ?? id).join(", "), max: 40 },
            { header: "UPDATED", value: (s) => formatTime(s.updatedAt) },
          ]),
        );
      },
    },
    set: {
      options: { value: { type: "string" }, "value-file": { type: "string" }, name: { type: "string" }, description: { type: "string" } },
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 1, usage);
        const key = requirePositional(parsed, 0, "key", usage);
        const value = readValue(parsed); // usage errors before any request
        const companyId = await resolveCompanyId(ctx);
        const existing = (await secretsOf(ctx, companyId)).find((s) => s.key === key);
        const secret = existing
          ? await ctx.call(
              ctx.client.POST("/api/secrets/{secretId}/rotate", { params: { path: { secretId: existing.id } }, body: { value } }),
            )
          : await ctx.call(
              ctx.client.POST("/api/companies/{companyId}/secrets", {
                params: { path: { companyId } },
                body: {
                  key,
                  name: stringOption(parsed, "name") ?? key,
                  value,
                  ...(stringOption(parsed, "description") !== undefined ? { description: stringOption(parsed, "description") } : {}),
                },
              }),
            );
        if (ctx.globals.json) return ctx.printJson(secret);
        ctx.print(
          `${existing ? "Rotated" : "Created"} secret ${secret.key} (version ${secret.latestVersion}, ${secret.fingerprint}): ${secret.id}`,
        );
      },
    },
    grant: { run: (ctx, parsed) => changeGrant(ctx, parsed, "grant") },
    revoke: { run: (ctx, parsed) => changeGrant(ctx, parsed, "revoke") },
  },
};
