import os from "node:os";
import path from "node:path";
import fs from "node:fs/promises";
import {
  BASE_INHERITED_ENV_KEYS,
  asRecord,
  parseRetryHint,
  type CliAgentSpec,
  type CliEnvironmentSpec,
  type CliFailurePatterns,
  type EnvironmentCheck,
} from "@staple/adapter-kit";
import { parseOpenCodeConfig, type OpenCodeAdapterConfig } from "./config.js";
import { OpenCodeStreamParser } from "./stream.js";

export const OPENCODE_ADAPTER_TYPE = "opencode_local";

/** Provider keys OpenCode picks up from the environment (each enables that provider without `opencode auth login`). */
export const OPENCODE_PROVIDER_KEYS = [
  "ANTHROPIC_API_KEY",
  "OPENAI_API_KEY",
  "GEMINI_API_KEY",
  "GOOGLE_GENERATIVE_AI_API_KEY",
  "OPENROUTER_API_KEY",
  "GROQ_API_KEY",
  "XAI_API_KEY",
  "DEEPSEEK_API_KEY",
  "MISTRAL_API_KEY",
  "OPENCODE_API_KEY",
] as const;
export const OPENCODE_INHERITED_ENV_KEYS = [
  ...BASE_INHERITED_ENV_KEYS,
  ...OPENCODE_PROVIDER_KEYS,
  "OPENCODE_CONFIG",
  "OPENCODE_CONFIG_DIR",
  "OPENCODE_CONFIG_CONTENT",
];

/**
 * Failure texts of OpenCode 1.18 runs: error events named ProviderAuthError / carrying a 401 or an invalid
 * key; provider throttling (429, rate limit, overloaded, 5xx); `--session` with an id it does not have
 * ("Session not found", NotFoundError on the session's storage file).
 */
export const OPENCODE_FAILURES: CliFailurePatterns = {
  auth: [
    /\bProviderAuthError\b/,
    /\b401\b/,
    /\bunauthori[sz]ed\b/i,
    /\b(?:invalid|missing|incorrect|expired) (?:x-)?api[ _-]?key\b/i,
    /\bauthentication_error\b/i,
    /\bno (?:api key|credentials) (?:found|configured)\b/i,
    /\bopencode auth login\b/i,
  ],
  transient: [
    /\b429\b/,
    /\brate[ _-]?limit/i,
    /\btoo many requests\b/i,
    /\boverloaded\b/i,
    /\b(?:502|503|529)\b/,
    /\bservice unavailable\b/i,
    /\btry again\b/i,
    /\bRESOURCE_EXHAUSTED\b/,
  ],
  unknownSession: [/\bsession\b[^\n]{0,80}\bnot found\b/i, /\bNotFoundError\b[^\n]{0,200}\bsession\b/i, /\bunknown session\b/i],
};

export const opencodeSpec: CliAgentSpec<OpenCodeAdapterConfig> = {
  type: OPENCODE_ADAPTER_TYPE,
  codePrefix: "opencode",
  label: "OpenCode",
  parseConfig: parseOpenCodeConfig,
  inheritedEnvKeys: OPENCODE_INHERITED_ENV_KEYS,
  credentialEnvKeys: [...OPENCODE_PROVIDER_KEYS],
  buildArgs: buildOpenCodeArgs,
  createParser: () => new OpenCodeStreamParser(),
  failures: OPENCODE_FAILURES,
  installHint: "npm install -g opencode-ai",
  loginHint:
    "run `opencode auth login` as the server user, or set the provider's API key (e.g. ANTHROPIC_API_KEY) in adapterConfig.env (as a secret)",
  provider: (config) => (config.model ? (config.model.split("/")[0] ?? null) : null),
  billingType: (env) => (OPENCODE_PROVIDER_KEYS.some((k) => (env[k] ?? "").trim() !== "") ? "metered_api" : "subscription_included"),
  parseRetryNotBefore: parseRetryHint,
};

/**
 * argv of one run (OpenCode 1.18 `opencode run --help`); the prompt goes to stdin:
 *   run --format json [--session <id>] [--model provider/model] [--variant v] [--agent a] [--auto] [extraArgs]
 */
export function buildOpenCodeArgs(config: OpenCodeAdapterConfig, resumeSessionId: string | null): string[] {
  const args = ["run", "--format", "json"];
  if (resumeSessionId !== null) args.push("--session", resumeSessionId);
  if (config.model) args.push("--model", config.model);
  if (config.variant) args.push("--variant", config.variant);
  if (config.agent) args.push("--agent", config.agent);
  if (config.autoApprove) args.push("--auto");
  args.push(...config.extraArgs);
  return args;
}

export const opencodeEnvironmentSpec: CliEnvironmentSpec<OpenCodeAdapterConfig> = {
  codePrefix: "opencode",
  label: "OpenCode",
  installHint: opencodeSpec.installHint,
  parseConfig: parseOpenCodeConfig,
  inheritedEnvKeys: OPENCODE_INHERITED_ENV_KEYS,
  credentialEnvKeys: [...OPENCODE_PROVIDER_KEYS],
  checkAuth: checkOpenCodeAuth,
};

/**
 * OpenCode keeps `opencode auth login` credentials in `<XDG_DATA_HOME or ~/.local/share>/opencode/auth.json`
 * and also uses provider keys from the environment. Neither found is a warning, not an error: a project
 * `opencode.json` may configure a provider this check cannot see.
 */
export async function checkOpenCodeAuth(env: Record<string, string>): Promise<EnvironmentCheck> {
  const key = OPENCODE_PROVIDER_KEYS.find((k) => (env[k] ?? "").trim() !== "");
  if (key) return { level: "info", code: "opencode_auth_env", message: `${key} is set; OpenCode can use that provider.` };
  const dataHome = env.XDG_DATA_HOME || path.join(env.HOME || os.homedir(), ".local", "share");
  const authFile = path.join(dataHome, "opencode", "auth.json");
  let providers: string[] = [];
  try {
    providers = Object.keys(asRecord(JSON.parse(await fs.readFile(authFile, "utf8"))));
  } catch {
    providers = [];
  }
  if (providers.length > 0) {
    return { level: "info", code: "opencode_auth_login_found", message: `OpenCode is logged in to ${providers.join(", ")} (${authFile}).` };
  }
  return {
    level: "warn",
    code: "opencode_auth_required",
    message: `No OpenCode login (${authFile}) and no provider API key found; runs will fail with opencode_auth_required unless a project opencode.json configures a provider.`,
    fix: opencodeSpec.loginHint.replace(/^run/, "Run"),
  };
}
