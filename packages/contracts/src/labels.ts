import { z } from "zod";
import { NonEmptyTrimmed, Timestamp, Uuid } from "./common.js";

export const LABEL_NAME_MAX = 48;
/** Labels one issue may carry (a request naming more is a 400). */
export const ISSUE_LABELS_MAX = 50;

const LabelName = NonEmptyTrimmed.max(LABEL_NAME_MAX);
/** `#rrggbb`, as Paperclip accepts it. */
const LabelColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, "Expected a color like #4f46e5");

export const Label = z
  .object({
    id: Uuid,
    companyId: Uuid,
    name: z.string(),
    color: z.string(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: "Label" });
export type Label = z.infer<typeof Label>;

export const CreateLabelBody = z.strictObject({ name: LabelName, color: LabelColor });
export type CreateLabelBody = z.infer<typeof CreateLabelBody>;

export const UpdateLabelBody = z
  .strictObject({ name: LabelName.optional(), color: LabelColor.optional() })
  .refine((body) => body.name !== undefined || body.color !== undefined, "Send name, color or both");
export type UpdateLabelBody = z.infer<typeof UpdateLabelBody>;

/** `labelIds` on issue create and update: the full set (replaces the issue's labels); duplicates collapse. */
export const IssueLabelIds = z.array(Uuid).max(ISSUE_LABELS_MAX);

/** What issue responses carry about labels (list, detail, create, update). */
export const IssueLabelFields = { labelIds: z.array(Uuid), labels: z.array(Label) };
