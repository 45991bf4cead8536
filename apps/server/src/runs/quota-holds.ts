import { createHash } from "node:crypto";
import type { Queryable } from "../db/database.js";
import { recordActivity } from "../activity/record.js";
import { getWakeBreakerSettings } from "./breaker-settings.js";

/**
 * The account quota breaker (docs/runs.md#quota-breaker). When a provider reports a usage limit
 * with a reset time, every agent that uses the same credential waits (its queued runs stay queued,
 * not failed) until the reset; the claim pass checks the hold.
 *
 * "Same credential": the same API key value in adapterConfig.env (any agent, any adapter), or,
 * for CLI adapters with no key, the same CLI login on this machine (same adapter type and same
 * config directory: CLAUDE_CONFIG_DIR / CODEX_HOME, else HOME, as the child would see them).
 * Only a hash of the value is stored or shown.
 */

/** Credential variables in the order a CLI prefers them (first non-empty wins). */
export const CREDENTIAL_ENV_KEYS: readonly string[] = Object.freeze([
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_AUTH_TOKEN",
  "CLAUDE_CODE_OAUTH_TOKEN",
  "AWS_BEARER_TOKEN_BEDROCK",
  "OPENAI_API_KEY",
  "CODEX_API_KEY",
  "CODEX_ACCESS_TOKEN",
  "AZURE_OPENAI_API_KEY",
  "GEMINI_API_KEY",
  "GOOGLE_API_KEY",
  "CURSOR_API_KEY",
]);

/** Adapters whose CLI logs in once per OS user (the login lives under a config directory). */
const CLI_LOGIN_DIR_VAR: Readonly<Record<string, string>> = Object.freeze({
  claude_local: "CLAUDE_CONFIG_DIR",
  codex_local: "CODEX_HOME",
  gemini_local: "GEMINI_CLI_HOME",
  opencode_local: "XDG_DATA_HOME",
  cursor: "CURSOR_CONFIG_DIR",
});

/** Holds longer than this are clamped: a misparsed reset must not freeze a fleet for months. */
export const MAX_HOLD_MS = 7 * 24 * 60 * 60_000;

export interface CredentialIdentity {
  kind: "api_key" | "cli_login";
  fingerprint: string;
}

function envValue(entry: unknown): string | null {
  if (typeof entry === "string") return entry;
  if (entry && typeof entry === "object" && typeof (entry as { value?: unknown }).value === "string")
    return (entry as { value: string }).value;
  return null;
}

const hash = (text: string) => `sha256:${createHash("sha256").update(`staple.quota-credential\0${text}`).digest("hex").slice(0, 32)}`;

/** Which credential an agent's runs spend, as a fingerprint; null when none is known (e.g. a plain script). Pure. */
export function credentialIdentity(
  agent: { adapterType: string; adapterConfig: unknown },
  serverEnv: Readonly<Record<string, string | undefined>> = process.env,
): CredentialIdentity | null {
  const config = agent.adapterConfig && typeof agent.adapterConfig === "object" ? (agent.adapterConfig as Record<string, unknown>) : {};
  const env = config.env && typeof config.env === "object" ? (config.env as Record<string, unknown>) : {};
  for (const key of CREDENTIAL_ENV_KEYS) {
    const value = envValue(env[key]);
    if (value) return { kind: "api_key", fingerprint: hash(`api_key\0${key}\0${value}`) };
  }
  const dirVar = CLI_LOGIN_DIR_VAR[agent.adapterType];
  if (!dirVar) return null;
  const dir = envValue(env[dirVar]) || serverEnv[dirVar] || `${envValue(env.HOME) || serverEnv.HOME || ""}`;
  return { kind: "cli_login", fingerprint: hash(`cli_login\0${agent.adapterType}\0${dir}`) };
}

/** The reset time of a provider usage limit the adapter reported, or null. Pure. */
export function quotaResetAt(
  run: { status: string; errorCode: string | null; resultJson: Record<string, unknown> | null },
  reported: { errorFamily?: string | null; retryNotBefore?: string | null } | null,
  now: Date,
): Date | null {
  if (run.status !== "failed") return null;
  const family = reported?.errorFamily ?? (run.resultJson?.errorFamily as string | undefined) ?? null;
  const transient = family === "transient_upstream" || (run.errorCode?.endsWith("_transient_upstream") ?? false);
  if (!transient) return null;
  const text = reported?.retryNotBefore ?? (typeof run.resultJson?.retryNotBefore === "string" ? run.resultJson.retryNotBefore : null);
  if (!text) return null;
  const at = new Date(text);
  if (!Number.isFinite(at.getTime()) || at.getTime() <= now.getTime()) return null;
  return new Date(Math.min(at.getTime(), now.getTime() + MAX_HOLD_MS));
}

/** Records (or extends) the hold of a credential after a usage-limit failure. */
export async function recordQuotaHold(
  q: Queryable,
  input: {
    companyId: string;
    agentId: string;
    runId: string;
    adapterType: string;
    adapterConfig: unknown;
    errorCode: string | null;
    resetAt: Date;
    now: Date;
  },
): Promise<{ fingerprint: string } | null> {
  if (!(await getWakeBreakerSettings(q, input.companyId)).quotaBreaker.enabled) return null;
  const identity = credentialIdentity(input);
  if (!identity) return null;
  await q.query(
    `INSERT INTO provider_quota_holds (credential_fingerprint, credential_kind, adapter_type, company_id, source_agent_id, source_run_id, error_code, reset_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (credential_fingerprint) DO UPDATE SET
       reset_at = CASE WHEN provider_quota_holds.reset_at > $9::timestamptz THEN greatest(provider_quota_holds.reset_at, EXCLUDED.reset_at) ELSE EXCLUDED.reset_at END,
       credential_kind = EXCLUDED.credential_kind, adapter_type = EXCLUDED.adapter_type, company_id = EXCLUDED.company_id,
       source_agent_id = EXCLUDED.source_agent_id, source_run_id = EXCLUDED.source_run_id, error_code = EXCLUDED.error_code, updated_at = now()`,
    [
      identity.fingerprint,
      identity.kind,
      input.adapterType,
      input.companyId,
      input.agentId,
      input.runId,
      input.errorCode,
      input.resetAt.toISOString(),
      input.now.toISOString(),
    ],
  );
  await recordActivity(q, {
    companyId: input.companyId,
    actor: "system",
    action: "agent.quota_hold_recorded",
    entityType: "agent",
    entityId: input.agentId,
    agentId: input.agentId,
    runId: input.runId,
    details: {
      credentialKind: identity.kind,
      fingerprint: identity.fingerprint,
      resetAt: input.resetAt.toISOString(),
      errorCode: input.errorCode,
    },
  });
  return { fingerprint: identity.fingerprint };
}

export interface ActiveQuotaHold {
  id: string;
  credentialFingerprint: string;
  credentialKind: string;
  adapterType: string;
  companyId: string | null;
  sourceAgentId: string | null;
  sourceRunId: string | null;
  errorCode: string | null;
  resetAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

export const HOLD_COLUMNS =
  "id, credential_fingerprint, credential_kind, adapter_type, company_id, source_agent_id, source_run_id, error_code, reset_at, created_at, updated_at";

/** The hold that keeps this agent from starting now, if any (the company's quota breaker must be on). */
export async function activeQuotaHoldFor(
  q: Queryable,
  agent: { companyId: string; adapterType: string; adapterConfig: unknown },
  now: Date,
): Promise<ActiveQuotaHold | null> {
  const identity = credentialIdentity(agent);
  if (!identity) return null;
  const [hold] = await q.query<ActiveQuotaHold>(
    `SELECT ${HOLD_COLUMNS} FROM provider_quota_holds WHERE credential_fingerprint = $1 AND reset_at > $2`,
    [identity.fingerprint, now.toISOString()],
  );
  if (!hold) return null;
  return (await getWakeBreakerSettings(q, agent.companyId)).quotaBreaker.enabled ? hold : null;
}
