import type { Schemas } from "@staple/api-client";
import { intOption, noExtraPositionals, requirePositional, stringOption } from "../args.js";
import type { CommandGroup } from "../command.js";
import { agentNames, resolveAgentId, resolveCompanyId } from "../scope.js";
import { formatDuration, formatTime, renderFields, renderTable } from "../table.js";
import { drainLog, followRun, followTimeoutMs, DEFAULT_FOLLOW_TIMEOUT_S } from "./run-follow.js";

const usage = `Usage: staple run <list|show|log|cancel> [options]

  staple run list [--agent <agent>] [--status <s,...>] [--limit <n>]
                                   the company's heartbeat runs, newest first
  staple run show <run>            one run and its events
  staple run log <run> [--follow] [--timeout <s>]
                                   the run's output; --follow keeps printing until the run ends
                                   (at most --timeout seconds, default ${DEFAULT_FOLLOW_TIMEOUT_S}); with --json the raw
                                   NDJSON lines ({ts, stream, chunk})
  staple run cancel <run>          cancel a run (its process group is stopped)

Global options: --company <id|prefix|name>, --json, --api <url>, --api-key <key>
`;

function exitDetail(run: Schemas["HeartbeatRun"]): string {
  if (run.exitCode !== null) return String(run.exitCode);
  return run.signal ?? "-";
}

export const runGroup: CommandGroup = {
  name: "run",
  summary: "list, inspect, follow and cancel heartbeat runs",
  usage,
  subcommands: {
    list: {
      options: { agent: { type: "string" }, status: { type: "string" }, limit: { type: "string" } },
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 0, usage);
        const limit = intOption(parsed, "limit", usage); // usage errors before any request
        const companyId = await resolveCompanyId(ctx);
        const agentRef = stringOption(parsed, "agent");
        const query = {
          agentId: agentRef === undefined ? undefined : await resolveAgentId(ctx, agentRef, companyId),
          status: stringOption(parsed, "status"),
          limit: limit === undefined ? undefined : String(limit),
        };
        const runs = await ctx.call(
          ctx.client.GET("/api/companies/{companyId}/heartbeat-runs", { params: { path: { companyId }, query } }),
        );
        if (ctx.globals.json) return ctx.printJson(runs);
        if (runs.length === 0) return ctx.print("No runs.");
        const names = await agentNames(ctx, companyId);
        ctx.print(
          renderTable(runs, [
            { header: "ID", value: (r) => r.id },
            { header: "AGENT", value: (r) => names.get(r.agentId) ?? r.agentId, max: 24 },
            { header: "STATUS", value: (r) => r.status },
            { header: "SOURCE", value: (r) => r.invocationSource },
            { header: "CREATED", value: (r) => formatTime(r.createdAt) },
            { header: "DURATION", value: (r) => formatDuration(r.startedAt, r.finishedAt) },
            { header: "EXIT", value: exitDetail },
            { header: "ERROR", value: (r) => r.errorCode ?? r.error },
          ]),
        );
      },
    },
    show: {
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 1, usage);
        const id = requirePositional(parsed, 0, "run", usage);
        const run = await ctx.call(ctx.client.GET("/api/heartbeat-runs/{id}", { params: { path: { id } } }));
        if (ctx.globals.json) return ctx.printJson(run);
        const events = await ctx.call(
          ctx.client.GET("/api/heartbeat-runs/{id}/events", { params: { path: { id }, query: { limit: "1000" } } }),
        );
        const names = await agentNames(ctx, run.companyId);
        ctx.print(
          renderFields([
            ["Run", run.id],
            ["Agent", `${names.get(run.agentId) ?? "?"} (${run.agentId})`],
            ["Status", run.status],
            ["Source", [run.invocationSource, run.triggerDetail].filter(Boolean).join(" / ")],
            ["Created", formatTime(run.createdAt)],
            ["Started", formatTime(run.startedAt)],
            ["Finished", formatTime(run.finishedAt)],
            ["Duration", formatDuration(run.startedAt, run.finishedAt)],
            ["Exit", exitDetail(run)],
            ["Error", [run.errorCode, run.error].filter(Boolean).join(": ")],
            ["Log bytes", run.logBytes],
          ]),
        );
        if (events.length) {
          ctx.print("\nEvents:");
          ctx.print(
            renderTable(events, [
              { header: "SEQ", value: (e) => e.seq },
              { header: "TIME", value: (e) => formatTime(e.createdAt) },
              { header: "TYPE", value: (e) => e.eventType },
              { header: "LEVEL", value: (e) => e.level },
              { header: "MESSAGE", value: (e) => e.message, max: 100 },
            ]),
          );
        }
      },
    },
    log: {
      options: { follow: { type: "boolean", short: "f" }, timeout: { type: "string" } },
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 1, usage);
        const id = requirePositional(parsed, 0, "run", usage);
        const timeoutMs = followTimeoutMs(parsed, usage);
        if (parsed.values.follow) return followRun(ctx, id, { timeoutMs, json: ctx.globals.json });
        if (ctx.globals.json) {
          // The server's answer as is (one slice from the start, up to 1 MiB; nextOffset says if more remains).
          return ctx.printJson(
            await ctx.call(
              ctx.client.GET("/api/heartbeat-runs/{id}/log", { params: { path: { id }, query: { limitBytes: String(1024 * 1024) } } }),
            ),
          );
        }
        await ctx.call(ctx.client.GET("/api/heartbeat-runs/{id}", { params: { path: { id } } })); // an unknown run is the server's 404, not an empty log
        await drainLog(ctx, id, 0, false);
      },
    },
    cancel: {
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 1, usage);
        const id = requirePositional(parsed, 0, "run", usage);
        const run = await ctx.call(ctx.client.POST("/api/heartbeat-runs/{id}/cancel", { params: { path: { id } } }));
        if (ctx.globals.json) return ctx.printJson(run);
        ctx.print(`Run ${run.id}: ${run.status}.`);
      },
    },
  },
};
