import { z } from "zod";
import { TREE_HOLD_MODES, TREE_HOLD_STATUSES } from "./enums.js";
import { JsonObject, NullableTimestamp, Timestamp, Uuid } from "./common.js";

/** A hold on an issue's subtree (pause or cancel); released holds stay listed. */
export const TreeHold = z
  .object({
    id: Uuid,
    companyId: Uuid,
    rootIssueId: Uuid,
    mode: z.enum(TREE_HOLD_MODES),
    status: z.enum(TREE_HOLD_STATUSES),
    reason: z.string().nullable(),
    releasePolicy: JsonObject,
    createdByActorType: z.string(),
    createdByActorId: z.string(),
    releasedByActorType: z.string().nullable(),
    releasedByActorId: z.string().nullable(),
    releasedAt: NullableTimestamp,
    releaseReason: z.string().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "TreeHold" });
export type TreeHold = z.infer<typeof TreeHold>;

/** A new hold, with how many issues it covers and how many runs it cancelled. */
export const CreatedTreeHold = TreeHold.extend({ memberCount: z.number().int(), cancelledRuns: z.number().int() }).meta({
  id: "CreatedTreeHold",
});
