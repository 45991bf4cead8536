import type { Schemas } from "@staple/api-client";
import type { Context } from "./context.js";
import { CliError } from "./errors.js";

/**
 * Which company and which agent a command means. Invariants:
 * - a UUID is passed to the server untouched, so an unknown id is answered by the server itself
 *   (its 404 message reaches the user); ids and identifiers typed by the user travel as path
 *   parameters, which the generated client percent-encodes;
 * - anything else is matched case-insensitively against names (and issue prefixes / url keys), and
 *   a reference that matches none or several is an error that lists the candidates;
 * - with no company given, the only company is used; zero or several is an error listing them.
 */

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

type Company = Schemas["Company"];

function companyLines(companies: readonly Company[]): string {
  return companies.map((c) => `  ${c.id}  ${c.issuePrefix}  ${c.name}`).join("\n");
}

/** The id of the company a company-scoped command works on. */
export async function resolveCompanyId(ctx: Context): Promise<string> {
  const ref = ctx.companyFlag;
  if (ref && isUuid(ref)) return ref;
  const companies = await ctx.call(ctx.client.GET("/api/companies"));
  if (ref) {
    const wanted = ref.toLowerCase();
    const matches = companies.filter((c) => c.issuePrefix.toLowerCase() === wanted || c.name.toLowerCase() === wanted);
    if (matches.length === 1) return matches[0]!.id;
    throw new CliError(
      matches.length === 0
        ? `no company matches "${ref}" (by id, issue prefix or name). Companies:\n${companyLines(companies) || "  (none)"}`
        : `"${ref}" matches several companies; pass its id with --company:\n${companyLines(matches)}`,
    );
  }
  if (companies.length === 1) return companies[0]!.id;
  if (companies.length === 0) throw new CliError("there are no companies yet: create one with `staple company create <name>`");
  throw new CliError(
    `there are ${companies.length} companies; choose one with --company <id> or STAPLE_COMPANY_ID:\n${companyLines(companies)}`,
  );
}

/** An agent id from a UUID, or from a name / url key within `companyId` (default: the command's company). */
export async function resolveAgentId(ctx: Context, ref: string, companyId?: string): Promise<string> {
  if (isUuid(ref)) return ref;
  companyId ??= await resolveCompanyId(ctx);
  const agents = await ctx.call(ctx.client.GET("/api/companies/{companyId}/agents", { params: { path: { companyId } } }));
  const wanted = ref.toLowerCase();
  const matches = agents.filter((a) => a.name.toLowerCase() === wanted || a.urlKey.toLowerCase() === wanted);
  if (matches.length === 1) return matches[0]!.id;
  const list = (matches.length ? matches : agents).map((a) => `  ${a.id}  ${a.name}`).join("\n") || "  (none)";
  throw new CliError(
    matches.length ? `"${ref}" matches several agents; use an id:\n${list}` : `no agent named "${ref}" in this company. Agents:\n${list}`,
  );
}

/** id → name of the company's agents, for tables that show assignees (best effort: empty on failure). */
export async function agentNames(ctx: Context, companyId: string): Promise<Map<string, string>> {
  try {
    const agents = await ctx.call(
      ctx.client.GET("/api/companies/{companyId}/agents", { params: { path: { companyId }, query: { includeTerminated: "true" } } }),
    );
    return new Map(agents.map((a) => [a.id, a.name]));
  } catch {
    return new Map();
  }
}
