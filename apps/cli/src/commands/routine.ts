import type { Schemas } from "@staple/api-client";
import { noExtraPositionals, requirePositional, stringOption } from "../args.js";
import type { CommandGroup } from "../command.js";
import type { Context } from "../context.js";
import { CliError, UsageError } from "../errors.js";
import type { JsonBody } from "../http-client.js";
import { agentNames, isUuid, resolveAgentId, resolveCompanyId } from "../scope.js";
import { formatTime, renderTable } from "../table.js";

const usage = `Usage: staple routine <list|create|run|pause|resume> [options]

A <routine> is its id or its title; an <agent> its id or name.

  staple routine list                        the company's routines, their triggers and next fire
  staple routine create <title> --agent <agent> [options]
      --cron <expr>                          add a schedule trigger (5 fields: min hour dom month dow)
      --timezone <zone>                      IANA time zone of --cron (default UTC)
      --description <text>
      --priority <p>                         critical, high, medium (default), low
      --concurrency <policy>                 coalesce_if_active (default), skip_if_active, always_enqueue
      --catch-up <policy>                    skip_missed (default), enqueue_missed_with_cap
  staple routine run <routine> [--payload <json>]   fire now: creates (or joins) its execution issue
  staple routine pause <routine>             stop scheduled fires (webhooks record skipped fires)
  staple routine resume <routine>            fire again, from the next tick after now

Global options: --company <id|prefix|name>, --json, --api <url>, --api-key <key>
`;

type Routine = Schemas["Routine"];
type CreateBody = JsonBody<"/api/companies/{companyId}/routines", "post">;

/** A routine id from an id, or from its title (case-insensitive) among the company's routines. */
async function resolveRoutineId(ctx: Context, ref: string): Promise<string> {
  if (isUuid(ref)) return ref;
  const companyId = await resolveCompanyId(ctx);
  const routines = await ctx.call(ctx.client.GET("/api/companies/{companyId}/routines", { params: { path: { companyId } } }));
  const matches = routines.filter((r) => r.title.toLowerCase() === ref.toLowerCase());
  if (matches.length === 1) return matches[0]!.id;
  const list = (matches.length ? matches : routines).map((r) => `  ${r.id}  ${r.title}`).join("\n") || "  (none)";
  throw new CliError(
    matches.length ? `"${ref}" matches several routines; use an id:\n${list}` : `no routine titled "${ref}". Routines:\n${list}`,
  );
}

function nextFire(r: Routine): string {
  const next = r.triggers
    .map((t) => t.nextRunAt)
    .filter((t): t is string => Boolean(t))
    .sort()[0];
  return next ? formatTime(next) : "";
}

function triggerSummary(r: Routine): string {
  return r.triggers
    .map((t) => (t.kind === "schedule" ? `cron "${t.cronExpression}" ${t.timezone}${t.enabled ? "" : " (off)"}` : t.kind))
    .join(", ");
}

async function setStatus(ctx: Context, ref: string, status: "paused" | "active") {
  const id = await resolveRoutineId(ctx, ref);
  const routine = await ctx.call(ctx.client.PATCH("/api/routines/{routineId}", { params: { path: { routineId: id } }, body: { status } }));
  if (ctx.globals.json) return ctx.printJson(routine);
  const next = nextFire(routine);
  ctx.print(status === "paused" ? `Paused "${routine.title}".` : `Resumed "${routine.title}"${next ? `; next fire ${next}` : ""}.`);
}

export const routineGroup: CommandGroup = {
  name: "routine",
  summary: "list, create, run and pause recurring routines",
  usage,
  subcommands: {
    list: {
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 0, usage);
        const companyId = await resolveCompanyId(ctx);
        const routines = await ctx.call(ctx.client.GET("/api/companies/{companyId}/routines", { params: { path: { companyId } } }));
        if (ctx.globals.json) return ctx.printJson(routines);
        if (routines.length === 0) return ctx.print("No routines.");
        const names = await agentNames(ctx, companyId);
        ctx.print(
          renderTable(routines, [
            { header: "ID", value: (r) => r.id },
            { header: "STATUS", value: (r) => r.status },
            { header: "AGENT", value: (r) => (r.assigneeAgentId ? (names.get(r.assigneeAgentId) ?? r.assigneeAgentId) : ""), max: 24 },
            { header: "TRIGGERS", value: triggerSummary, max: 48 },
            { header: "NEXT", value: nextFire },
            { header: "TITLE", value: (r) => r.title, max: 60 },
          ]),
        );
      },
    },
    create: {
      options: {
        agent: { type: "string" },
        cron: { type: "string" },
        timezone: { type: "string" },
        description: { type: "string" },
        priority: { type: "string" },
        concurrency: { type: "string" },
        "catch-up": { type: "string" },
      },
      async run(ctx, parsed) {
        const title = parsed.positionals.join(" ").trim();
        if (!title) throw new UsageError("missing <title>", usage);
        const agent = stringOption(parsed, "agent");
        if (!agent) throw new UsageError("missing --agent <agent>", usage);
        const cron = stringOption(parsed, "cron");
        const timezone = stringOption(parsed, "timezone");
        if (timezone !== undefined && cron === undefined) throw new UsageError("--timezone needs --cron", usage);
        const companyId = await resolveCompanyId(ctx);
        // Values go to the server as typed: its 400 names the allowed priorities and policies.
        const body: CreateBody = { title, assigneeAgentId: await resolveAgentId(ctx, agent, companyId) };
        const description = stringOption(parsed, "description");
        if (description !== undefined) body.description = description;
        const priority = stringOption(parsed, "priority");
        if (priority !== undefined) body.priority = priority as CreateBody["priority"];
        const concurrency = stringOption(parsed, "concurrency");
        if (concurrency !== undefined) body.concurrencyPolicy = concurrency as CreateBody["concurrencyPolicy"];
        const catchUp = stringOption(parsed, "catch-up");
        if (catchUp !== undefined) body.catchUpPolicy = catchUp as CreateBody["catchUpPolicy"];
        let routine = await ctx.call(ctx.client.POST("/api/companies/{companyId}/routines", { params: { path: { companyId } }, body }));
        if (cron !== undefined) {
          await ctx.call(
            ctx.client.POST("/api/routines/{routineId}/triggers", {
              params: { path: { routineId: routine.id } },
              body: { kind: "schedule", cronExpression: cron, ...(timezone ? { timezone } : {}) },
            }),
          );
          routine = await ctx.call(ctx.client.GET("/api/routines/{routineId}", { params: { path: { routineId: routine.id } } }));
        }
        if (ctx.globals.json) return ctx.printJson(routine);
        const next = nextFire(routine);
        ctx.print(`Created routine ${routine.id}: ${routine.title}${next ? ` (next fire ${next})` : ""}`);
      },
    },
    run: {
      options: { payload: { type: "string" } },
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 1, usage);
        const ref = requirePositional(parsed, 0, "routine", usage);
        const raw = stringOption(parsed, "payload");
        let payload: Record<string, unknown> | undefined;
        if (raw !== undefined) {
          try {
            payload = JSON.parse(raw) as Record<string, unknown>;
          } catch {
            throw new UsageError("--payload must be a JSON object", usage);
          }
          if (!payload || typeof payload !== "object" || Array.isArray(payload))
            throw new UsageError("--payload must be a JSON object", usage);
        }
        const id = await resolveRoutineId(ctx, ref);
        const fire = await ctx.call(
          ctx.client.POST("/api/routines/{routineId}/run", {
            params: { path: { routineId: id } },
            body: { source: "manual", ...(payload ? { payload } : {}) },
          }),
        );
        if (ctx.globals.json) return ctx.printJson(fire);
        const issue = fire.linkedIssue ? `${fire.linkedIssue.identifier ?? fire.linkedIssue.id} (${fire.linkedIssue.status})` : "no issue";
        const what: Record<string, string> = {
          issue_created: `created ${issue}`,
          coalesced: `joined the open ${issue}`,
          skipped: `skipped: ${fire.failureReason ?? "policy"}${fire.linkedIssue ? `; open ${issue}` : ""}`,
          failed: `failed: ${fire.failureReason ?? "unknown"}`,
        };
        ctx.print(`Fired ${fire.id}: ${what[fire.status] ?? fire.status}`);
      },
    },
    pause: {
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 1, usage);
        await setStatus(ctx, requirePositional(parsed, 0, "routine", usage), "paused");
      },
    },
    resume: {
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 1, usage);
        await setStatus(ctx, requirePositional(parsed, 0, "routine", usage), "active");
      },
    },
  },
};
