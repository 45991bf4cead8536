import { z } from "zod";
import { JsonObject, Timestamp, Uuid } from "./common.js";

/** What wrote an agent configuration revision. Mirrored by agent_config_revisions_source_check. */
export const CONFIG_REVISION_SOURCES = Object.freeze(["patch", "instructions_path_patch", "rollback"] as const);
export type ConfigRevisionSource = (typeof CONFIG_REVISION_SOURCES)[number];

/** The configuration fields a revision snapshots; a change to any of them writes a revision. */
export const CONFIG_REVISION_FIELDS = Object.freeze([
  "name",
  "role",
  "title",
  "icon",
  "reportsTo",
  "capabilities",
  "adapterType",
  "adapterConfig",
  "runtimeConfig",
  "budgetMonthlyCents",
  "metadata",
] as const);

export const AgentConfigRevision = z
  .object({
    id: Uuid,
    companyId: Uuid,
    agentId: Uuid,
    createdByAgentId: Uuid.nullable(),
    createdByUserId: z.string().nullable(),
    source: z.enum(CONFIG_REVISION_SOURCES),
    rolledBackFromRevisionId: Uuid.nullable(),
    changedKeys: z.array(z.string()),
    beforeConfig: JsonObject,
    afterConfig: JsonObject,
    createdAt: Timestamp,
  })
  .meta({ id: "AgentConfigRevision" });

/** `path: null` clears it; `adapterConfigKey` names the adapter config field (default per adapter type). */
export const InstructionsPathBody = z.strictObject({
  path: z.string().trim().min(1).max(4096).nullable(),
  adapterConfigKey: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z][A-Za-z0-9_]*$/, "adapterConfigKey must be an identifier")
    .optional(),
});

export const InstructionsPathResult = z
  .object({ agentId: Uuid, adapterType: z.string(), adapterConfigKey: z.string(), path: z.string().nullable() })
  .meta({ id: "InstructionsPathResult" });
export type InstructionsPathBody = z.infer<typeof InstructionsPathBody>;
