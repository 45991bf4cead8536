import { createHash, randomBytes } from "node:crypto";

/** `pcp_` + 48 hex characters, as Paperclip issues them. */
export const AGENT_KEY_RE = /^pcp_[0-9a-f]{48}$/;

export function generateAgentKey(): { token: string; hash: string } {
  const token = `pcp_${randomBytes(24).toString("hex")}`;
  return { token, hash: hashAgentKey(token) };
}

export function hashAgentKey(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
