import type { CodexEnvEntry } from "./config.js";

/**
 * Variables taken from the server's own environment when neither the engine nor the config sets them: what
 * a Codex CLI needs to find itself, its login (HOME / CODEX_HOME), an API key the operator exported, and
 * the network (proxies, CA bundles). Nothing else leaks in from the server's environment.
 */
export const INHERITED_ENV_KEYS = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LC_ALL",
  "LC_CTYPE",
  "TZ",
  "TMPDIR",
  "XDG_CONFIG_HOME",
  "XDG_DATA_HOME",
  "XDG_CACHE_HOME",
  "XDG_RUNTIME_DIR",
  "CODEX_HOME",
  "OPENAI_API_KEY",
  "OPENAI_BASE_URL",
  "OPENAI_ORG_ID",
  "OPENAI_PROJECT_ID",
  "CODEX_API_KEY",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "all_proxy",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "NODE_EXTRA_CA_CERTS",
] as const;

/** Names whose values are credentials even when config marks them plain: always registered with onSecret. */
export const CREDENTIAL_ENV_KEYS = new Set(["OPENAI_API_KEY", "CODEX_API_KEY", "CODEX_ACCESS_TOKEN", "AZURE_OPENAI_API_KEY"]);

/**
 * The child's complete environment: the engine's variables (PAPERCLIP_*), then config env on top, then the
 * inherited keys from `hostEnv` where still unset. Secret-marked config values and every credential-named
 * value (wherever it came from) are handed to `onSecret` so the engine redacts them from output.
 * Values only ever travel in this environment, never on argv.
 */
export function buildCodexEnv(
  engineEnv: Record<string, string>,
  configEnv: Record<string, CodexEnvEntry>,
  onSecret: ((value: string) => void) | undefined,
  hostEnv: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = { ...engineEnv };
  for (const [key, entry] of Object.entries(configEnv)) {
    env[key] = entry.value;
    if (entry.secret && entry.value !== "") onSecret?.(entry.value);
  }
  for (const key of INHERITED_ENV_KEYS) {
    const inherited = hostEnv[key];
    if (env[key] === undefined && inherited !== undefined) env[key] = inherited;
  }
  for (const key of CREDENTIAL_ENV_KEYS) {
    const value = env[key];
    if (value !== undefined && value !== "" && !configEnv[key]?.secret) onSecret?.(value);
  }
  return env;
}

/** "metered_api" when the child authenticates with an API key (OPENAI_API_KEY or CODEX_API_KEY), else the ChatGPT login. */
export function billingTypeFor(env: Record<string, string>): "metered_api" | "subscription_included" {
  const hasKey = (key: string): boolean => typeof env[key] === "string" && env[key].trim() !== "";
  return hasKey("OPENAI_API_KEY") || hasKey("CODEX_API_KEY") ? "metered_api" : "subscription_included";
}
