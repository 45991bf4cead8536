import path from "node:path";
import type { InstructionsPathBody } from "@staple/contracts";
import { notFound, ruleViolation } from "../errors.js";
import type { Actor } from "../auth/actor.js";
import { assertBoard, assertCanSee } from "../auth/access.js";
import type { AgentService } from "./service.js";

/** Adapter types that read an instructions file, and the adapter config field that names it. */
const DEFAULT_INSTRUCTIONS_KEYS: Readonly<Record<string, string>> = Object.freeze({
  claude_local: "instructionsFilePath",
  codex_local: "instructionsFilePath",
  gemini_local: "instructionsFilePath",
  opencode_local: "instructionsFilePath",
  cursor: "instructionsFilePath",
  acp_local: "instructionsFilePath",
});

/**
 * Sets or clears an agent's instructions file path (board only). An absolute path is stored as is;
 * a relative one is resolved against `adapterConfig.cwd`, which must then be absolute (422
 * otherwise), so the stored path never depends on where a run happens to start. The change goes
 * through the ordinary agent update (adapter config schema, activity row, config revision).
 */
export async function setInstructionsPath(agents: AgentService, actor: Actor, agentId: string, body: InstructionsPathBody) {
  assertBoard(actor);
  const agent = await agents.find(agentId);
  if (!agent) throw notFound("Agent not found");
  assertCanSee(actor, agent.companyId, "Agent");
  const key = body.adapterConfigKey ?? DEFAULT_INSTRUCTIONS_KEYS[agent.adapterType];
  if (!key) {
    throw ruleViolation(
      `No default instructions path key for adapter type '${agent.adapterType}'. Provide adapterConfigKey.`,
      undefined,
      "instructions_path_key_required",
    );
  }
  // The stored config (real secret values): sent back unchanged, the update keeps them as they are.
  const next: Record<string, unknown> = { ...agent.adapterConfig };
  if (body.path === null) delete next[key];
  else next[key] = resolveAgainstCwd(body.path, agent.adapterConfig.cwd);
  const updated = await agents.update(actor, agent.id, { adapterConfig: next }, { source: "instructions_path_patch" });
  const stored = updated.adapterConfig[key];
  return { agentId: updated.id, adapterType: updated.adapterType, adapterConfigKey: key, path: typeof stored === "string" ? stored : null };
}

function resolveAgainstCwd(candidate: string, cwd: unknown): string {
  if (path.isAbsolute(candidate)) return candidate;
  if (typeof cwd !== "string" || cwd.trim() === "") {
    throw ruleViolation(
      "A relative instructions path needs adapterConfig.cwd set to an absolute path",
      undefined,
      "instructions_path_relative",
    );
  }
  if (!path.isAbsolute(cwd)) {
    throw ruleViolation(
      "adapterConfig.cwd must be an absolute path to resolve a relative instructions path",
      undefined,
      "instructions_path_relative",
    );
  }
  return path.resolve(cwd, candidate);
}
