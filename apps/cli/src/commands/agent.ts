import type { Schemas } from "@staple/api-client";
import { intOption, noExtraPositionals, requirePositional, stringOption, type Parsed } from "../args.js";
import type { CommandGroup } from "../command.js";
import type { Context } from "../context.js";
import { UsageError } from "../errors.js";
import type { JsonBody } from "../http-client.js";
import { resolveAgentId, resolveCompanyId } from "../scope.js";
import { formatTime, renderTable } from "../table.js";
import { followRun, followTimeoutMs } from "./run-follow.js";

const usage = `Usage: staple agent <list|create|wake|pause|resume|keys> [options]

An <agent> is its id, or its name within the company (--company).

  staple agent list [--status <s,...>] [--all]     the company's agents (--all includes terminated)
  staple agent create <name> [options] [-- <command> [args...]]
      --role <role>                      ceo, cto, engineer, pm, qa, ... (default: general)
      --title <text>
      --adapter <type>                   process (default), http, claude_local, codex_local, gemini_local, opencode_local, cursor, acp_local
      --command <cmd> --arg <a> ...      process adapter: the command and its arguments
                                         (or put them after --: -- /bin/sh -c "echo hi")
      --cwd <dir>                        working directory of the command
      --url <url>                        http adapter: the webhook URL
      --timeout-sec <n>                  adapter timeout
      --config <json>                    further adapterConfig fields, as a JSON object
      --reports-to <agent>               its manager
      --budget-cents <n>                 monthly budget in cents
  staple agent wake <agent> [--reason <text>] [--follow [--timeout <s>]]
                                         queue a heartbeat run; --follow prints its log until it ends
  staple agent pause <agent>             pause (cancels its runs)
  staple agent resume <agent>
  staple agent keys [list] <agent>       the agent's API keys (never the secrets)
  staple agent keys create <agent> [--name <name>]
                                         a new key; its token is printed once

Global options: --company <id|prefix|name>, --json, --api <url>, --api-key <key>
`;

type Agent = Schemas["Agent"];
type CreateBody = JsonBody<"/api/companies/{companyId}/agents", "post">;

const AGENT_COLUMNS = [
  { header: "ID", value: (a: Agent) => a.id },
  { header: "NAME", value: (a: Agent) => a.name },
  { header: "ROLE", value: (a: Agent) => a.role },
  { header: "STATUS", value: (a: Agent) => a.status },
  { header: "ADAPTER", value: (a: Agent) => a.adapterType },
  { header: "LAST HEARTBEAT", value: (a: Agent) => formatTime(a.lastHeartbeatAt) },
];

/** The adapterConfig given by flags; --config is the base, the specific flags win. */
function adapterConfig(parsed: Parsed): Record<string, unknown> | undefined {
  let config: Record<string, unknown> = {};
  const raw = stringOption(parsed, "config");
  if (raw !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new UsageError(`--config is not valid JSON: ${(error as Error).message}`, usage);
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) throw new UsageError("--config must be a JSON object", usage);
    config = value as Record<string, unknown>;
  }
  const [restCommand, ...restArgs] = parsed.rest;
  const command = stringOption(parsed, "command") ?? restCommand;
  const args = [
    ...((parsed.values.arg as string[] | undefined) ?? []),
    ...(stringOption(parsed, "command") === undefined ? restArgs : parsed.rest),
  ];
  if (command !== undefined) config.command = command;
  if (args.length) config.args = args;
  const cwd = stringOption(parsed, "cwd");
  if (cwd !== undefined) config.cwd = cwd;
  const url = stringOption(parsed, "url");
  if (url !== undefined) config.url = url;
  const timeout = intOption(parsed, "timeout-sec", usage);
  if (timeout !== undefined) config.timeoutSec = timeout;
  return Object.keys(config).length ? config : undefined;
}

async function transition(ctx: Context, parsed: Parsed, action: "pause" | "resume") {
  noExtraPositionals(parsed, 1, usage);
  const id = await resolveAgentId(ctx, requirePositional(parsed, 0, "agent", usage));
  const agent = await ctx.call(
    ctx.client.POST(action === "pause" ? "/api/agents/{id}/pause" : "/api/agents/{id}/resume", { params: { path: { id } } }),
  );
  if (ctx.globals.json) return ctx.printJson(agent);
  ctx.print(`Agent ${agent.name} is now ${agent.status}.`);
}

async function listKeys(ctx: Context, agentRef: string) {
  const id = await resolveAgentId(ctx, agentRef);
  const keys = await ctx.call(ctx.client.GET("/api/agents/{id}/keys", { params: { path: { id } } }));
  if (ctx.globals.json) return ctx.printJson(keys);
  if (keys.length === 0) return ctx.print("No API keys. Create one: staple agent keys create <agent> --name <name>");
  ctx.print(
    renderTable(keys, [
      { header: "ID", value: (k) => k.id },
      { header: "NAME", value: (k) => k.name },
      { header: "CREATED", value: (k) => formatTime(k.createdAt) },
      { header: "LAST USED", value: (k) => formatTime(k.lastUsedAt) },
      { header: "REVOKED", value: (k) => formatTime(k.revokedAt) },
    ]),
  );
}

async function createKey(ctx: Context, agentRef: string, name: string | undefined) {
  const id = await resolveAgentId(ctx, agentRef);
  const key = await ctx.call(
    ctx.client.POST("/api/agents/{id}/keys", { params: { path: { id } }, body: name === undefined ? undefined : { name } }),
  );
  if (ctx.globals.json) return ctx.printJson(key);
  ctx.note(
    `Created API key "${key.name}" (${key.id}). The token below is shown only once; the agent sends it as "Authorization: Bearer <token>":`,
  );
  ctx.print(key.token);
}

export const agentGroup: CommandGroup = {
  name: "agent",
  summary: "list, create, wake, pause and resume agents; manage their API keys",
  usage,
  subcommands: {
    list: {
      options: { status: { type: "string" }, all: { type: "boolean" } },
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 0, usage);
        const companyId = await resolveCompanyId(ctx);
        const query = { status: stringOption(parsed, "status"), includeTerminated: parsed.values.all ? ("true" as const) : undefined };
        const agents = await ctx.call(ctx.client.GET("/api/companies/{companyId}/agents", { params: { path: { companyId }, query } }));
        if (ctx.globals.json) return ctx.printJson(agents);
        if (agents.length === 0) return ctx.print("No agents. Create one: staple agent create <name> --role engineer -- <command>");
        ctx.print(renderTable(agents, AGENT_COLUMNS));
      },
    },
    create: {
      options: {
        role: { type: "string" },
        title: { type: "string" },
        adapter: { type: "string" },
        command: { type: "string" },
        arg: { type: "string", multiple: true },
        cwd: { type: "string" },
        url: { type: "string" },
        "timeout-sec": { type: "string" },
        config: { type: "string" },
        "reports-to": { type: "string" },
        "budget-cents": { type: "string" },
      },
      async run(ctx, parsed) {
        const name = parsed.positionals.join(" ").trim();
        if (!name) throw new UsageError("missing <name>", usage);
        const config = adapterConfig(parsed); // usage errors before any request
        const budget = intOption(parsed, "budget-cents", usage);
        const companyId = await resolveCompanyId(ctx);
        const body: CreateBody = { name };
        // Flag values go to the server as typed: its 400 names the allowed roles and adapter types.
        const role = stringOption(parsed, "role");
        if (role !== undefined) body.role = role as CreateBody["role"];
        const title = stringOption(parsed, "title");
        if (title !== undefined) body.title = title;
        const adapter = stringOption(parsed, "adapter");
        if (adapter !== undefined) body.adapterType = adapter as CreateBody["adapterType"];
        if (config) body.adapterConfig = config;
        const manager = stringOption(parsed, "reports-to");
        if (manager !== undefined) body.reportsTo = await resolveAgentId(ctx, manager, companyId);
        if (budget !== undefined) body.budgetMonthlyCents = budget;
        const agent = await ctx.call(ctx.client.POST("/api/companies/{companyId}/agents", { params: { path: { companyId } }, body }));
        if (ctx.globals.json) return ctx.printJson(agent);
        ctx.print(`Created agent ${agent.name} (${agent.role}, ${agent.adapterType}, ${agent.status}): ${agent.id}`);
      },
    },
    wake: {
      options: { reason: { type: "string" }, follow: { type: "boolean", short: "f" }, timeout: { type: "string" } },
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 1, usage);
        const timeoutMs = followTimeoutMs(parsed, usage); // usage errors before any request
        const id = await resolveAgentId(ctx, requirePositional(parsed, 0, "agent", usage));
        const reason = stringOption(parsed, "reason");
        const run = await ctx.call(
          ctx.client.POST("/api/agents/{id}/wakeup", {
            params: { path: { id } },
            body: { source: "on_demand", ...(reason ? { reason } : {}) },
          }),
        );
        if (!("id" in run)) {
          // Skipped or deferred: no run to follow.
          if (ctx.globals.json) return ctx.printJson(run);
          ctx.print(`Wake ${run.status}: ${run.reason}`);
          return;
        }
        if (parsed.values.follow) return followRun(ctx, run.id, { timeoutMs, json: ctx.globals.json });
        if (ctx.globals.json) return ctx.printJson(run);
        ctx.print(`Run ${run.id} ${run.status}. Follow it: staple run log ${run.id} --follow`);
      },
    },
    pause: { run: (ctx, parsed) => transition(ctx, parsed, "pause") },
    resume: { run: (ctx, parsed) => transition(ctx, parsed, "resume") },
    keys: {
      options: { name: { type: "string" } },
      async run(ctx, parsed) {
        const [first, second] = parsed.positionals;
        const action = first === "list" || first === "create" ? first : "list";
        const agentRef = first === "list" || first === "create" ? second : first;
        noExtraPositionals(parsed, first === action ? 2 : 1, usage);
        if (!agentRef) throw new UsageError("missing <agent>", usage);
        if (action === "create") return createKey(ctx, agentRef, stringOption(parsed, "name"));
        if (stringOption(parsed, "name") !== undefined) throw new UsageError("--name is for `staple agent keys create`", usage);
        return listKeys(ctx, agentRef);
      },
    },
  },
};
