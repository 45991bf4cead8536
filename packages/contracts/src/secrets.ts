import { z } from "zod";
import { NonEmptyTrimmed, Timestamp, Uuid } from "./common.js";

/** What agents and adapter configs name a secret by: unique per company. */
export const SECRET_KEY_PATTERN = /^[A-Za-z0-9_.-]{1,120}$/;
/** Largest secret value accepted, in characters (a PEM bundle fits; a file does not). */
export const SECRET_VALUE_MAX = 65_536;

export const SecretKey = z.string().regex(SECRET_KEY_PATTERN, "Use 1-120 letters, digits, '_', '.' or '-'");
const SecretValue = z
  .string()
  .min(1, "must not be empty")
  .max(SECRET_VALUE_MAX, `must be at most ${SECRET_VALUE_MAX} characters`)
  .refine((v) => !v.includes("\0"), "must not contain a NUL character");

/** An adapter config's reference to a stored secret: `adapterConfig.env.NAME = {type: "secret_ref", secretId}`. */
export const SecretRefEntry = z.strictObject({
  type: z.literal("secret_ref"),
  secretId: Uuid,
  /** Paperclip's version selector; Staple always resolves the latest version. */
  version: z.union([z.literal("latest"), z.number().int().positive()]).optional(),
});
export type SecretRefEntry = z.infer<typeof SecretRefEntry>;

/** A secret as the board sees it: never the value, only a mask and a keyed fingerprint of it. */
export const CompanySecret = z
  .object({
    id: Uuid,
    companyId: Uuid,
    key: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    provider: z.literal("local_encrypted"),
    latestVersion: z.number().int(),
    /** Always "********": the value is write-only. */
    valueMask: z.string(),
    fingerprint: z.string(),
    grantedAgentIds: z.array(Uuid),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    rotatedAt: Timestamp.nullable(),
  })
  .meta({ id: "CompanySecret" });
export type CompanySecret = z.infer<typeof CompanySecret>;

export const CreateSecretBody = z.strictObject({
  name: NonEmptyTrimmed.max(200),
  /** Defaults to the name with every character outside [A-Za-z0-9_.-] replaced by "_". */
  key: SecretKey.optional(),
  value: SecretValue,
  description: z.string().max(2000).nullable().optional(),
  /** Paperclip's provider field: only the local encrypted store exists here. */
  provider: z.literal("local_encrypted").optional(),
  /** Agents granted the secret at creation. */
  agentIds: z.array(Uuid).max(200).optional(),
});
export type CreateSecretBody = z.infer<typeof CreateSecretBody>;

export const UpdateSecretBody = z
  .strictObject({
    name: NonEmptyTrimmed.max(200).optional(),
    key: SecretKey.optional(),
    description: z.string().max(2000).nullable().optional(),
  })
  .refine((b) => b.name !== undefined || b.key !== undefined || b.description !== undefined, "Send name, key or description");
export type UpdateSecretBody = z.infer<typeof UpdateSecretBody>;

export const RotateSecretBody = z.strictObject({ value: SecretValue });
export type RotateSecretBody = z.infer<typeof RotateSecretBody>;

export const SecretGrantBody = z.strictObject({ agentId: Uuid });
export type SecretGrantBody = z.infer<typeof SecretGrantBody>;

/** One secret an agent may read (GET /api/agents/me/secrets): metadata, never the value. */
export const AgentSecretMeta = z.object({
  secretRef: Uuid,
  key: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  delivery: z.literal("api"),
  latestVersion: z.number().int(),
  versionSelector: z.literal("latest"),
  resolvedVersion: z.number().int(),
});
export const AgentSecretList = z.object({ secrets: z.array(AgentSecretMeta) }).meta({ id: "AgentSecretList" });
export type AgentSecretList = z.infer<typeof AgentSecretList>;

export const AgentSecretValue = z
  .object({ key: z.string(), value: z.string(), version: z.number().int() })
  .meta({ id: "AgentSecretValue" });
export type AgentSecretValue = z.infer<typeof AgentSecretValue>;
