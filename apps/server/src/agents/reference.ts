import { isUuid } from "@staple/contracts";
import type { Actor } from "../auth/actor.js";
import { conflict, notFound } from "../errors.js";
import { urlKeyFor } from "./service.js";

interface AgentLister {
  list(actor: Actor, companyId: string, filter: { includeTerminated?: boolean }): Promise<readonly { id: string; urlKey: string }[]>;
}

/**
 * An agent reference as Paperclip clients send it in `/api/agents/:id`: a UUID is taken as is; any
 * other value is a url key (or a name, normalized the same way) looked up among the live agents of
 * `companyId`, or of the calling agent's own company. The board must name the company (404 without
 * it, as for any id that names nothing); the listing checks company access, so another company's agents stay invisible. Two live
 * agents with one key are a 409, never a guess.
 */
export async function resolveAgentReference(
  agents: AgentLister,
  actor: Actor,
  ref: string,
  companyId: string | undefined,
): Promise<string> {
  const raw = ref.trim();
  if (isUuid(raw)) return raw;
  const scope = companyId?.trim() || (actor.kind === "agent" ? actor.companyId : undefined);
  // Without a company there is nothing to look a url key up in: as for any unknown id, 404 (naming
  // the way to look it up), never a guess across companies.
  if (!scope) throw notFound("Agent not found (to look an agent up by its url key, add ?companyId=<company id>)");
  const key = urlKeyFor(raw);
  const matches = (await agents.list(actor, scope, { includeTerminated: false })).filter((a) => a.urlKey === key);
  if (matches.length > 1)
    throw conflict("Agent shortname is ambiguous in this company; use the agent id", { agent: raw }, "agent_reference_ambiguous");
  if (!matches[0]) throw notFound("Agent not found");
  return matches[0].id;
}
