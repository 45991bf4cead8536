import { z } from "zod";
import { ACTOR_TYPES } from "./enums.js";
import { QueryInt, Timestamp, Uuid } from "./common.js";

export const Comment = z
  .object({
    id: Uuid,
    companyId: Uuid,
    issueId: Uuid,
    authorAgentId: Uuid.nullable(),
    authorUserId: z.string().nullable(),
    authorType: z.enum(ACTOR_TYPES),
    createdByRunId: Uuid.nullable(),
    body: z.string(),
    mentionedAgentIds: z.array(Uuid),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "Comment" });
export type Comment = z.infer<typeof Comment>;

export const CreateCommentBody = z.strictObject({
  body: z.string().trim().min(1).max(100_000),
  reopen: z.boolean().optional(),
  resume: z.boolean().optional(),
  interrupt: z.boolean().optional(),
});
export type CreateCommentBody = z.infer<typeof CreateCommentBody>;

export const ListCommentsQuery = z.strictObject({
  after: Uuid.optional(),
  order: z.enum(["asc", "desc"]).optional(),
  limit: QueryInt.pipe(z.number().int().min(1).max(1000)).optional(),
});
