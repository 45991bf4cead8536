import { z } from "zod";
import { NullableTimestamp } from "./common.js";

/** `GET/PATCH /api/instance/settings/outbound`. */
export const OutboundSettings = z
  .object({
    /** The board's entries (stored). */
    allow: z.array(z.string()),
    /** The operator's entries (STAPLE_OUTBOUND_ALLOW), read-only through the API. */
    envAllow: z.array(z.string()),
    updatedAt: NullableTimestamp,
    updatedBy: z.string().nullable(),
  })
  .meta({ id: "OutboundSettings" });
export type OutboundSettings = z.infer<typeof OutboundSettings>;

/** One finding of an adapter's environment test. Problems (`warn`, `error`) carry a `fix`. */
export const AdapterEnvironmentCheck = z
  .object({ level: z.enum(["info", "warn", "error"]), code: z.string(), message: z.string(), fix: z.string().optional() })
  .meta({ id: "AdapterEnvironmentCheck" });

export const AdapterEnvironmentTest = z
  .object({ adapterType: z.string(), ok: z.boolean(), checks: z.array(AdapterEnvironmentCheck) })
  .meta({ id: "AdapterEnvironmentTest" });
export type AdapterEnvironmentTest = z.infer<typeof AdapterEnvironmentTest>;

export const AdapterModel = z.object({ id: z.string(), label: z.string() }).meta({ id: "AdapterModel" });

/**
 * An adapter's model suggestions. Adapters answer in one of two shapes: a plain list (codex, and
 * `[]` for adapters without models) or a list with a note (claude_local); both are declared so a
 * client handles each.
 */
export const AdapterModels = z
  .union([z.array(AdapterModel), z.object({ models: z.array(AdapterModel), note: z.string() })])
  .meta({ id: "AdapterModels" });
export type AdapterModels = z.infer<typeof AdapterModels>;
