import type { ClaudeEnvEntry } from "./config.js";

/**
 * Variables taken from the server's own environment when neither the engine nor the config sets them:
 * what the CLI needs to find itself, its login (under HOME or CLAUDE_CONFIG_DIR) and a sane locale.
 * Credentials are never inherited: an API key reaches the child only through adapterConfig.env.
 */
const INHERITED_KEYS = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LC_ALL",
  "TMPDIR",
  "TZ",
  "XDG_CONFIG_HOME",
  "CLAUDE_CONFIG_DIR",
] as const;

/** Config env keys whose values are credentials even when written as plain strings. */
const CREDENTIAL_KEYS = new Set([
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_AUTH_TOKEN",
  "CLAUDE_CODE_OAUTH_TOKEN",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_BEARER_TOKEN_BEDROCK",
]);

export interface ChildEnv {
  env: Record<string, string>;
  /** Config values to redact: secret-marked entries and known credential keys. */
  secrets: string[];
}

/**
 * The child's complete environment: the engine's variables (PAPERCLIP_*), then config env on top, then the
 * inherited keys above where still unset. Secret values are returned (and must be registered with the
 * engine) before the child starts; they travel only in the environment, never on argv or in the prompt.
 */
export function buildChildEnv(
  engineEnv: Record<string, string>,
  configEnv: Record<string, ClaudeEnvEntry>,
  inherited: NodeJS.ProcessEnv = process.env,
): ChildEnv {
  const env: Record<string, string> = { ...engineEnv };
  const secrets: string[] = [];
  for (const [key, entry] of Object.entries(configEnv)) {
    env[key] = entry.value;
    if ((entry.secret || CREDENTIAL_KEYS.has(key)) && entry.value !== "") secrets.push(entry.value);
  }
  for (const key of INHERITED_KEYS) {
    const value = inherited[key];
    if (env[key] === undefined && value !== undefined) env[key] = value;
  }
  return { env, secrets };
}

export type ClaudeBillingType = "metered_api" | "subscription_included";

/** Bedrock or an API key in the child's env means per-token billing; otherwise the subscription login pays. */
export function billingTypeFor(env: Record<string, string>): ClaudeBillingType {
  return usesBedrock(env) || (env.ANTHROPIC_API_KEY ?? "") !== "" ? "metered_api" : "subscription_included";
}

export function usesBedrock(env: Record<string, string>): boolean {
  const flag = (env.CLAUDE_CODE_USE_BEDROCK ?? "").trim().toLowerCase();
  return flag === "1" || flag === "true";
}
