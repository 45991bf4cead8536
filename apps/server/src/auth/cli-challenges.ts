import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Database } from "../db/database.js";
import { conflict, notFound } from "../errors.js";
import { recordActivity } from "../activity/record.js";
import type { BoardActor } from "./actor.js";
import { hashBoardSecret } from "./board-credentials.js";

export const CLI_CHALLENGE_TTL_MS = 10 * 60_000;

export interface CliChallengeView {
  id: string;
  status: "pending" | "approved" | "cancelled" | "expired";
  command: string;
  clientName: string | null;
  expiresAt: string;
  approvedByUserId: string | null;
  boardApiKeyId: string | null;
}

const sameHash = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * CLI sign-in, device-code style: the CLI creates a challenge and receives its secret and the board
 * key it will use; the key is inert (no board_api_keys row) until a signed-in user approves the
 * challenge in the board, which creates the key for that user. The CLI polls with the secret.
 */
export function createCliChallengeService(db: Database) {
  async function load(id: string, secret: string) {
    const [row] = await db.query<CliChallengeView & { secretHash: string; pendingKeyHash: string; expired: boolean }>(
      `SELECT id, status, command, client_name, expires_at, approved_by_user_id, board_api_key_id, secret_hash, pending_key_hash,
              (expires_at <= now()) AS expired
         FROM cli_auth_challenges WHERE id = $1`,
      [id],
    );
    if (!row || !sameHash(row.secretHash, hashBoardSecret(secret))) throw notFound("CLI auth challenge not found");
    return row;
  }
  const view = (row: CliChallengeView & { expired: boolean }): CliChallengeView => ({
    id: row.id,
    status: row.status === "pending" && row.expired ? "expired" : row.status,
    command: row.command,
    clientName: row.clientName,
    expiresAt: row.expiresAt,
    approvedByUserId: row.approvedByUserId,
    boardApiKeyId: row.boardApiKeyId,
  });

  return {
    async create(command: string, clientName: string | null) {
      const secret = randomBytes(24).toString("base64url");
      const boardApiToken = `stb_${randomBytes(24).toString("hex")}`;
      const [row] = await db.query<{ id: string; expiresAt: string }>(
        `INSERT INTO cli_auth_challenges (secret_hash, pending_key_hash, command, client_name, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5::double precision / 1000)) RETURNING id, expires_at`,
        [hashBoardSecret(secret), hashBoardSecret(boardApiToken), command, clientName, CLI_CHALLENGE_TTL_MS],
      );
      return { id: row!.id, token: secret, boardApiToken, expiresAt: row!.expiresAt };
    },

    async describe(id: string, secret: string): Promise<CliChallengeView> {
      return view(await load(id, secret));
    },

    /** Approval by a signed-in board user: creates the CLI's key for them (guarded: approves once). */
    async approve(actor: BoardActor, id: string, secret: string): Promise<CliChallengeView> {
      const row = await load(id, secret);
      return db.tx(async (q) => {
        const [pending] = await q.query<{ pendingKeyHash: string; command: string; clientName: string | null }>(
          "SELECT pending_key_hash, command, client_name FROM cli_auth_challenges WHERE id = $1 AND status = 'pending' AND expires_at > now() FOR UPDATE",
          [row.id],
        );
        if (!pending) throw conflict(`CLI auth challenge is ${view(row).status}`, undefined, "cli_challenge_not_pending");
        const name = `CLI: ${(pending.clientName ?? pending.command).slice(0, 100)}`;
        const [key] = await q.query<{ id: string }>(
          "INSERT INTO board_api_keys (user_id, name, key_hash) VALUES ($1, $2, $3) RETURNING id",
          [actor.userId, name, pending.pendingKeyHash],
        );
        await q.query("UPDATE cli_auth_challenges SET status = 'approved', approved_by_user_id = $2, board_api_key_id = $3 WHERE id = $1", [
          row.id,
          actor.userId,
          key!.id,
        ]);
        const companies = actor.roles ? Object.keys(actor.roles) : [];
        for (const companyId of companies) {
          await recordActivity(q, {
            companyId,
            actor,
            action: "board_api_key.created",
            entityType: "user",
            entityId: actor.userId,
            details: { boardApiKeyId: key!.id, via: "cli_auth_challenge", challengeId: row.id },
          });
        }
        return view({ ...row, status: "approved", approvedByUserId: actor.userId, boardApiKeyId: key!.id, expired: false });
      });
    },

    async cancel(id: string, secret: string): Promise<CliChallengeView> {
      const row = await load(id, secret);
      await db.query("UPDATE cli_auth_challenges SET status = 'cancelled' WHERE id = $1 AND status = 'pending'", [row.id]);
      return view({ ...row, status: row.status === "pending" ? "cancelled" : row.status });
    },
  };
}

export type CliChallengeService = ReturnType<typeof createCliChallengeService>;
