import os from "node:os";
import path from "node:path";
import fs from "node:fs/promises";
import {
  BASE_INHERITED_ENV_KEYS,
  asRecord,
  asText,
  isFile,
  parseRetryHint,
  type CliAgentSpec,
  type CliEnvironmentSpec,
  type CliFailurePatterns,
  type EnvironmentCheck,
} from "@staple/adapter-kit";
import { parseGeminiConfig, type GeminiAdapterConfig } from "./config.js";
import { GeminiStreamParser } from "./stream.js";

export const GEMINI_ADAPTER_TYPE = "gemini_local";

/** Keys a Gemini CLI reads for its login (API key, Vertex AI, Code Assist) and its home directory. */
const GEMINI_ENV_KEYS = [
  "GEMINI_API_KEY",
  "GOOGLE_API_KEY",
  "GOOGLE_GENAI_USE_VERTEXAI",
  "GOOGLE_GENAI_USE_GCA",
  "GOOGLE_CLOUD_PROJECT",
  "GOOGLE_CLOUD_LOCATION",
  "GOOGLE_APPLICATION_CREDENTIALS",
  "GEMINI_CLI_HOME",
  "GEMINI_CLI_TRUST_WORKSPACE",
] as const;
export const GEMINI_INHERITED_ENV_KEYS = [...BASE_INHERITED_ENV_KEYS, ...GEMINI_ENV_KEYS];
export const GEMINI_CREDENTIAL_ENV_KEYS = ["GEMINI_API_KEY", "GOOGLE_API_KEY"];

/**
 * Failure texts of Gemini CLI 0.61: the headless auth check ("Please set an Auth method in your … or
 * specify one of the following environment variables …"), Google API errors (UNAUTHENTICATED / API key not
 * valid; RESOURCE_EXHAUSTED / 429 with "Please retry in 30.5s" or "Your quota will reset after 2h3m4s"),
 * and `--resume` of a session it does not have ("Invalid session identifier", "No previous sessions found").
 */
export const GEMINI_FAILURES: CliFailurePatterns = {
  auth: [
    /please set an auth method/i,
    /\bUNAUTHENTICATED\b/,
    /api key not valid/i,
    /\b(?:invalid|missing|expired) api[ _-]?key\b/i,
    /\bnot (?:logged|signed) in\b/i,
    /\b(?:login|authentication) required\b/i,
    /manual authorization is required/i,
    /\binvalid_grant\b/,
    /\b401\b/,
  ],
  transient: [
    /\bRESOURCE_EXHAUSTED\b/,
    /\b429\b/,
    /\btoo many requests\b/i,
    /\brate[ _-]?limit/i,
    /\bquota\b/i,
    /please retry in/i,
    /\b50[023]\b/,
    /\bUNAVAILABLE\b/,
    /\boverloaded\b/i,
    /\btry again later\b/i,
    /\b(?:ECONNRESET|ETIMEDOUT|EAI_AGAIN)\b/,
  ],
  unknownSession: [/invalid session identifier/i, /no previous sessions found/i, /\bsession\b[^\n]{0,80}\bnot found\b/i],
};

export const geminiSpec: CliAgentSpec<GeminiAdapterConfig> = {
  type: GEMINI_ADAPTER_TYPE,
  codePrefix: "gemini",
  label: "Gemini CLI",
  parseConfig: parseGeminiConfig,
  inheritedEnvKeys: GEMINI_INHERITED_ENV_KEYS,
  credentialEnvKeys: GEMINI_CREDENTIAL_ENV_KEYS,
  buildArgs: buildGeminiArgs,
  defaultEnv: (config): Record<string, string> => (config.trustWorkspace ? { GEMINI_CLI_TRUST_WORKSPACE: "true" } : {}),
  createParser: () => new GeminiStreamParser(),
  failures: GEMINI_FAILURES,
  installHint: "npm install -g @google/gemini-cli",
  loginHint:
    'run `gemini` once as the server user and choose "Login with Google", or set GEMINI_API_KEY in adapterConfig.env (as a secret)',
  provider: () => "google",
  billingType: (env) => (hasValue(env, "GEMINI_API_KEY") || hasValue(env, "GOOGLE_API_KEY") ? "metered_api" : "subscription_included"),
  parseRetryNotBefore: parseRetryHint,
};

/**
 * argv of one headless run (Gemini CLI 0.61 `gemini --help`): the prompt goes to stdin, which makes the
 * run non-interactive without `--prompt` (and keeps it off argv):
 *   --output-format stream-json --approval-mode <mode> [--model m] [--resume <session id>] [extraArgs]
 */
export function buildGeminiArgs(config: GeminiAdapterConfig, resumeSessionId: string | null): string[] {
  const args = ["--output-format", "stream-json", "--approval-mode", config.approvalMode];
  if (config.model) args.push("--model", config.model);
  if (resumeSessionId !== null) args.push("--resume", resumeSessionId);
  args.push(...config.extraArgs);
  return args;
}

export const geminiEnvironmentSpec: CliEnvironmentSpec<GeminiAdapterConfig> = {
  codePrefix: "gemini",
  label: "Gemini CLI",
  installHint: geminiSpec.installHint,
  parseConfig: parseGeminiConfig,
  inheritedEnvKeys: GEMINI_INHERITED_ENV_KEYS,
  credentialEnvKeys: GEMINI_CREDENTIAL_ENV_KEYS,
  checkAuth: checkGeminiAuth,
};

/**
 * Gemini CLI runs headless only with an auth method: an API key / Vertex / Code Assist variable, or one
 * chosen in `<home>/.gemini/settings.json` (`security.auth.selectedType`; Google login keeps its tokens
 * in `oauth_creds.json` beside it). Without one every run fails, so that is an error, not a warning.
 */
export async function checkGeminiAuth(env: Record<string, string>): Promise<EnvironmentCheck> {
  for (const key of ["GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_GCA"]) {
    if (hasValue(env, key)) return { level: "info", code: "gemini_auth_env", message: `${key} is set; runs authenticate with it.` };
  }
  const home = path.join(env.GEMINI_CLI_HOME || env.HOME || os.homedir(), ".gemini");
  const settingsFile = path.join(home, "settings.json");
  let selected = "";
  try {
    const settings = asRecord(JSON.parse(await fs.readFile(settingsFile, "utf8")));
    selected = asText(asRecord(asRecord(settings.security).auth).selectedType) || asText(settings.selectedAuthType);
  } catch {
    selected = "";
  }
  const fix = geminiSpec.loginHint.replace(/^run/, "Run");
  if (selected === "oauth-personal") {
    const creds = path.join(home, "oauth_creds.json");
    if (await isFile(creds))
      return { level: "info", code: "gemini_auth_login_found", message: `Found a Google login for Gemini CLI (${creds}).` };
    return {
      level: "error",
      code: "gemini_auth_required",
      message: `Gemini CLI is set to log in with Google (${settingsFile}) but has no saved login (${creds}).`,
      fix,
    };
  }
  if (selected)
    return { level: "info", code: "gemini_auth_configured", message: `Gemini CLI auth method "${selected}" is set in ${settingsFile}.` };
  return {
    level: "error",
    code: "gemini_auth_required",
    message: `No Gemini login found: no GEMINI_API_KEY / GOOGLE_API_KEY / GOOGLE_GENAI_USE_VERTEXAI and no auth method in ${settingsFile}; runs would fail with gemini_auth_required.`,
    fix,
  };
}

function hasValue(env: Record<string, string>, key: string): boolean {
  return typeof env[key] === "string" && env[key].trim() !== "";
}
