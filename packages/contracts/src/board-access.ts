import { z } from "zod";
import { NonEmptyTrimmed, NullableTimestamp, Timestamp } from "./common.js";

/** A board API key as listed: never the token. */
export const BoardApiKey = z
  .object({
    id: z.string(),
    userId: z.string(),
    name: z.string(),
    createdAt: Timestamp,
    expiresAt: NullableTimestamp,
    lastUsedAt: NullableTimestamp,
    revokedAt: NullableTimestamp,
  })
  .meta({ id: "BoardApiKey" });

/** The create answer: the only time the token is shown. */
export const CreatedBoardApiKey = BoardApiKey.extend({ token: z.string() }).meta({ id: "CreatedBoardApiKey" });

export const CreateBoardApiKeyBody = z.strictObject({
  name: NonEmptyTrimmed.max(120),
  expiresAt: z.iso.datetime({ offset: true }).nullable().optional(),
  /** Paperclip scopes a key to a company in its authenticated mode; accepted and ignored here. */
  requestedCompanyId: z.string().nullable().optional(),
});

/** A one-time login link: opening it in a browser sets the board session cookie. */
export const BoardLoginLink = z.object({ url: z.string(), expiresAt: Timestamp }).meta({ id: "BoardLoginLink" });

export const BoardLoginQuery = z.object({ code: z.string().min(1).max(200) });

/** Who the caller is, for the board UI and CLI (`GET /api/auth/get-session`, `GET /api/cli-auth/me`). */
export const BoardSessionInfo = z
  .object({
    user: z.object({ id: z.string() }),
    session: z.object({ id: z.string().nullable(), source: z.enum(["session", "board_key", "local_implicit"]) }),
  })
  .meta({ id: "BoardSessionInfo" });
