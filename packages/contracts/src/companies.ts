import { z } from "zod";
import { COMPANY_STATUSES, PAUSE_REASONS } from "./enums.js";
import { NonEmptyTrimmed, NonNegativeInt4, NullableTimestamp, Timestamp, Uuid } from "./common.js";

export const Company = z
  .object({
    id: Uuid,
    name: z.string(),
    description: z.string().nullable(),
    status: z.enum(COMPANY_STATUSES),
    pauseReason: z.enum(PAUSE_REASONS).nullable(),
    pausedAt: NullableTimestamp,
    issuePrefix: z.string(),
    issueCounter: z.number().int(),
    budgetMonthlyCents: z.number().int(),
    spentMonthlyCents: z.number().int(),
    requireBoardApprovalForNewAgents: z.boolean(),
    brandColor: z.string().nullable(),
    archivedAt: NullableTimestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "Company" });
export type Company = z.infer<typeof Company>;

const BrandColor = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, "Expected a colour like #1a2b3c")
  .nullable();

export const CreateCompanyBody = z.strictObject({
  name: NonEmptyTrimmed.max(200),
  description: z.string().max(10_000).nullable().optional(),
  budgetMonthlyCents: NonNegativeInt4.optional(),
  requireBoardApprovalForNewAgents: z.boolean().optional(),
  brandColor: BrandColor.optional(),
});
export type CreateCompanyBody = z.infer<typeof CreateCompanyBody>;

export const UpdateCompanyBody = CreateCompanyBody.partial();
export type UpdateCompanyBody = z.infer<typeof UpdateCompanyBody>;
