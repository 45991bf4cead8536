import { intOption, noExtraPositionals, requirePositional, stringOption, type Parsed } from "../args.js";
import type { CommandGroup } from "../command.js";
import type { Context } from "../context.js";
import { UsageError } from "../errors.js";
import type { JsonBody } from "../http-client.js";
import { agentNames, resolveAgentId, resolveCompanyId } from "../scope.js";
import { formatTime, renderFields, renderTable } from "../table.js";

const usage = `Usage: staple issue <list|create|show|comment|assign> [options]

An <issue> is its identifier (ACM-12) or id; an <agent> its id or name.

  staple issue list [--status <s,...>] [--assignee <agent|none>] [--search <text>] [--limit <n>]
  staple issue create <title> [options]
      --description <text>
      --priority <p>                     critical, high, medium (default), low
      --status <s>                       backlog (default), todo, in_progress, ...
      --assignee <agent>                 assigning an agent wakes it
      --parent <issue>
  staple issue show <issue>              the issue and its comments
  staple issue comment <issue> <text...> [--reopen]
  staple issue assign <issue> <agent|none>

Global options: --company <id|prefix|name>, --json, --api <url>, --api-key <key>
`;

type CreateBody = JsonBody<"/api/companies/{companyId}/issues", "post">;

/** `none` clears the assignee; anything else names an agent. */
async function assigneeId(ctx: Context, ref: string, companyId?: string): Promise<string | null> {
  return ref === "none" ? null : resolveAgentId(ctx, ref, companyId);
}

function commentBody(parsed: Parsed): string {
  const text = [...parsed.positionals.slice(1), ...parsed.rest].join(" ").trim();
  if (!text) throw new UsageError("missing <text>", usage);
  return text;
}

export const issueGroup: CommandGroup = {
  name: "issue",
  summary: "list, create, show, comment on and assign issues",
  usage,
  subcommands: {
    list: {
      options: { status: { type: "string" }, assignee: { type: "string" }, search: { type: "string" }, limit: { type: "string" } },
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 0, usage);
        const limit = intOption(parsed, "limit", usage); // usage errors before any request
        const companyId = await resolveCompanyId(ctx);
        const assignee = stringOption(parsed, "assignee");
        const query = {
          status: stringOption(parsed, "status"),
          assigneeAgentId: assignee === undefined ? undefined : ((await assigneeId(ctx, assignee, companyId)) ?? "null"),
          q: stringOption(parsed, "search"),
          limit: limit === undefined ? undefined : String(limit),
        };
        const issues = await ctx.call(ctx.client.GET("/api/companies/{companyId}/issues", { params: { path: { companyId }, query } }));
        if (ctx.globals.json) return ctx.printJson(issues);
        if (issues.length === 0) return ctx.print("No issues.");
        const names = await agentNames(ctx, companyId);
        ctx.print(
          renderTable(issues, [
            { header: "ISSUE", value: (i) => i.identifier },
            { header: "STATUS", value: (i) => i.status },
            { header: "PRIORITY", value: (i) => i.priority },
            {
              header: "ASSIGNEE",
              value: (i) => (i.assigneeAgentId ? (names.get(i.assigneeAgentId) ?? i.assigneeAgentId) : i.assigneeUserId),
              max: 24,
            },
            { header: "UPDATED", value: (i) => formatTime(i.updatedAt) },
            { header: "TITLE", value: (i) => i.title, max: 80 },
          ]),
        );
      },
    },
    create: {
      options: {
        description: { type: "string" },
        priority: { type: "string" },
        status: { type: "string" },
        assignee: { type: "string" },
        parent: { type: "string" },
      },
      async run(ctx, parsed) {
        const title = parsed.positionals.join(" ").trim();
        if (!title) throw new UsageError("missing <title>", usage);
        const companyId = await resolveCompanyId(ctx);
        const body: CreateBody = { title };
        // Flag values go to the server as typed: its 400 names the allowed priorities and statuses.
        const description = stringOption(parsed, "description");
        if (description !== undefined) body.description = description;
        const priority = stringOption(parsed, "priority");
        if (priority !== undefined) body.priority = priority as CreateBody["priority"];
        const status = stringOption(parsed, "status");
        if (status !== undefined) body.status = status as CreateBody["status"];
        const assignee = stringOption(parsed, "assignee");
        if (assignee !== undefined) body.assigneeAgentId = await assigneeId(ctx, assignee, companyId);
        const parent = stringOption(parsed, "parent");
        if (parent !== undefined)
          body.parentId = (await ctx.call(ctx.client.GET("/api/issues/{id}", { params: { path: { id: parent } } }))).id;
        const issue = await ctx.call(ctx.client.POST("/api/companies/{companyId}/issues", { params: { path: { companyId } }, body }));
        if (ctx.globals.json) return ctx.printJson(issue);
        ctx.print(`Created ${issue.identifier} (${issue.status}, ${issue.priority}): ${issue.title}`);
      },
    },
    show: {
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 1, usage);
        const ref = requirePositional(parsed, 0, "issue", usage);
        const issue = await ctx.call(ctx.client.GET("/api/issues/{id}", { params: { path: { id: ref } } }));
        if (ctx.globals.json) return ctx.printJson(issue);
        const comments = await ctx.call(
          ctx.client.GET("/api/issues/{id}/comments", { params: { path: { id: issue.id }, query: { order: "asc" } } }),
        );
        const names = await agentNames(ctx, issue.companyId);
        const refs = (list: { identifier: string; status: string }[]) => list.map((r) => `${r.identifier} (${r.status})`).join(", ");
        ctx.print(
          renderFields([
            ["Issue", `${issue.identifier}  ${issue.title}`],
            ["Id", issue.id],
            ["Status", issue.status],
            ["Priority", issue.priority],
            [
              "Assignee",
              issue.assigneeAgentId ? `${names.get(issue.assigneeAgentId) ?? "?"} (${issue.assigneeAgentId})` : issue.assigneeUserId,
            ],
            ["Parent", issue.ancestors[0] ? refs([issue.ancestors[0]]) : null],
            ["Blocked by", refs(issue.blockedBy)],
            ["Blocks", refs(issue.blocks)],
            ["Children", refs(issue.children)],
            ["Running", issue.executionRunId],
            ["Created", formatTime(issue.createdAt)],
            ["Updated", formatTime(issue.updatedAt)],
          ]),
        );
        if (issue.description) ctx.print(`\n${issue.description.trimEnd()}`);
        ctx.print(`\nComments (${comments.length}):`);
        for (const c of comments) {
          const author = c.authorAgentId ? (names.get(c.authorAgentId) ?? c.authorAgentId) : (c.authorUserId ?? c.authorType);
          ctx.print(`\n[${formatTime(c.createdAt)}] ${author}:\n${c.body.trimEnd()}`);
        }
      },
    },
    comment: {
      options: { reopen: { type: "boolean" } },
      async run(ctx, parsed) {
        const ref = requirePositional(parsed, 0, "issue", usage);
        const body = commentBody(parsed);
        const comment = await ctx.call(
          ctx.client.POST("/api/issues/{id}/comments", {
            params: { path: { id: ref } },
            body: { body, ...(parsed.values.reopen ? { reopen: true } : {}) },
          }),
        );
        if (ctx.globals.json) return ctx.printJson(comment);
        ctx.print(`Commented on ${ref}: ${comment.id}`);
      },
    },
    assign: {
      async run(ctx, parsed) {
        noExtraPositionals(parsed, 2, usage);
        const ref = requirePositional(parsed, 0, "issue", usage);
        const who = requirePositional(parsed, 1, "agent|none", usage);
        const issue = await ctx.call(ctx.client.GET("/api/issues/{id}", { params: { path: { id: ref } } }));
        // Names resolve in the issue's own company, whatever --company says.
        const agentId = await assigneeId(ctx, who, issue.companyId);
        const updated = await ctx.call(
          ctx.client.PATCH("/api/issues/{id}", { params: { path: { id: issue.id } }, body: { assigneeAgentId: agentId } }),
        );
        if (ctx.globals.json) return ctx.printJson(updated);
        ctx.print(
          agentId
            ? `Assigned ${updated.identifier} to ${who} (${updated.status}).`
            : `Unassigned ${updated.identifier} (${updated.status}).`,
        );
      },
    },
  },
};
