import { randomBytes } from "node:crypto";
import type { Queryable } from "../db/database.js";

/**
 * The HS256 secret for run tokens. An explicit env value wins; otherwise one is generated on first
 * start and kept in the database, so every server instance sharing the database verifies the
 * tokens the others minted (read it; if absent, INSERT … ON CONFLICT DO NOTHING, then read back
 * the winner of concurrent first starts).
 */
export async function resolveAgentJwtSecret(db: Queryable, fromEnv: string | undefined): Promise<string> {
  if (fromEnv) return fromEnv;
  // Every start after the first finds it: one read (the insert's first run costs a restart ~13 ms).
  const [existing] = await db.query<{ value: string }>("SELECT value FROM instance_settings WHERE key = 'agent_jwt_secret'");
  if (existing) return existing.value;
  await db.query(
    `INSERT INTO instance_settings (key, value) VALUES ('agent_jwt_secret', to_jsonb($1::text)) ON CONFLICT (key) DO NOTHING`,
    [randomBytes(32).toString("hex")],
  );
  const [row] = await db.query<{ value: string }>("SELECT value FROM instance_settings WHERE key = 'agent_jwt_secret'");
  return row!.value;
}
