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
import { parseCursorConfig, type CursorAdapterConfig } from "./config.js";
import { CursorStreamParser } from "./stream.js";

export const CURSOR_ADAPTER_TYPE = "cursor";

export const CURSOR_INHERITED_ENV_KEYS = [...BASE_INHERITED_ENV_KEYS, "CURSOR_API_KEY", "CURSOR_CONFIG_DIR"];
export const CURSOR_CREDENTIAL_ENV_KEYS = ["CURSOR_API_KEY"];

/**
 * Failure texts of cursor-agent: a missing login ("Authentication required. Please run 'cursor-agent login'
 * first, or set CURSOR_API_KEY …"), an invalid key, throttling and usage limits, and `--resume` of a chat it
 * does not have.
 */
export const CURSOR_FAILURES: CliFailurePatterns = {
  auth: [
    /\bauthentication required\b/i,
    /\bnot (?:authenticated|logged in)\b/i,
    /\b(?:cursor-agent|agent) login\b/i,
    /\b(?:invalid|missing|expired) api[ _-]?key\b/i,
    /\bunauthori[sz]ed\b/i,
    /\b401\b/,
  ],
  transient: [
    /\b429\b/,
    /\brate[ _-]?limit/i,
    /\btoo many requests\b/i,
    /\busage limit\b/i,
    /\boverloaded\b/i,
    /\b50[23]\b/,
    /\bservice unavailable\b/i,
    /\btry again\b/i,
    /\bRESOURCE_EXHAUSTED\b/,
  ],
  unknownSession: [/\b(?:chat|session|conversation)\b[^\n]{0,80}\bnot found\b/i, /\bunknown (?:chat|session)\b/i, /\bcould not resume\b/i],
};

export const cursorSpec: CliAgentSpec<CursorAdapterConfig> = {
  type: CURSOR_ADAPTER_TYPE,
  codePrefix: "cursor",
  label: "Cursor agent CLI",
  parseConfig: parseCursorConfig,
  inheritedEnvKeys: CURSOR_INHERITED_ENV_KEYS,
  credentialEnvKeys: CURSOR_CREDENTIAL_ENV_KEYS,
  buildArgs: buildCursorArgs,
  createParser: () => new CursorStreamParser(),
  failures: CURSOR_FAILURES,
  installHint: "curl https://cursor.com/install -fsS | bash",
  loginHint: "run `cursor-agent login` as the server user, or set CURSOR_API_KEY in adapterConfig.env (as a secret)",
  provider: () => "cursor",
  billingType: (env) => ((env.CURSOR_API_KEY ?? "").trim() !== "" ? "metered_api" : "subscription_included"),
  parseRetryNotBefore: parseRetryHint,
};

/**
 * argv of one headless run; the prompt goes to stdin:
 *   -p --output-format stream-json --workspace <cwd> [--resume <chat id>] [--model m] [--mode plan|ask] [--force] [extraArgs]
 */
export function buildCursorArgs(config: CursorAdapterConfig, resumeSessionId: string | null, cwd: string): string[] {
  const args = ["-p", "--output-format", "stream-json", "--workspace", cwd];
  if (resumeSessionId !== null) args.push("--resume", resumeSessionId);
  if (config.model) args.push("--model", config.model);
  if (config.mode) args.push("--mode", config.mode);
  if (config.force) args.push("--force");
  args.push(...config.extraArgs);
  return args;
}

export const cursorEnvironmentSpec: CliEnvironmentSpec<CursorAdapterConfig> = {
  codePrefix: "cursor",
  label: "Cursor agent CLI",
  installHint: cursorSpec.installHint,
  parseConfig: parseCursorConfig,
  inheritedEnvKeys: CURSOR_INHERITED_ENV_KEYS,
  credentialEnvKeys: CURSOR_CREDENTIAL_ENV_KEYS,
  checkAuth: checkCursorAuth,
};

/**
 * cursor-agent authenticates with CURSOR_API_KEY or the login `cursor-agent login` saves in
 * `<CURSOR_CONFIG_DIR or ~/.cursor>/cli-config.json` (`authInfo`). Neither: every run fails, an error.
 */
export async function checkCursorAuth(env: Record<string, string>): Promise<EnvironmentCheck> {
  if ((env.CURSOR_API_KEY ?? "").trim() !== "") {
    return { level: "info", code: "cursor_auth_api_key", message: "CURSOR_API_KEY is set; runs authenticate with it." };
  }
  const dir = env.CURSOR_CONFIG_DIR || path.join(env.HOME || os.homedir(), ".cursor");
  const file = path.join(dir, "cli-config.json");
  try {
    const auth = asRecord(asRecord(JSON.parse(await fs.readFile(file, "utf8"))).authInfo);
    if (Object.keys(auth).length > 0) {
      const who = typeof auth.email === "string" ? ` as ${auth.email}` : "";
      return { level: "info", code: "cursor_auth_login_found", message: `cursor-agent is logged in${who} (${file}).` };
    }
  } catch {
    // no readable login
  }
  return {
    level: "error",
    code: "cursor_auth_required",
    message: `No CURSOR_API_KEY and no cursor-agent login (${file}); runs would fail with cursor_auth_required.`,
    fix: cursorSpec.loginHint.replace(/^run/, "Run"),
  };
}
