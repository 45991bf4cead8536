import type { ProcessEnvEntry } from "./config.js";

/** Variables taken from the server's own environment when neither the engine nor the config sets them. */
const INHERITED_KEYS = ["PATH", "HOME"] as const;

/**
 * The child's complete environment: the engine's variables (PAPERCLIP_*), then config env on top, then
 * PATH/HOME from this process where still unset. Nothing else leaks in from the server's environment.
 * Secret-marked config values are handed to `onSecret` so the engine redacts them from output.
 */
export function buildChildEnv(
  engineEnv: Record<string, string>,
  configEnv: Record<string, ProcessEnvEntry>,
  onSecret: ((value: string) => void) | undefined,
): Record<string, string> {
  const env: Record<string, string> = { ...engineEnv };
  for (const [key, entry] of Object.entries(configEnv)) {
    env[key] = entry.value;
    if (entry.secret) onSecret?.(entry.value);
  }
  for (const key of INHERITED_KEYS) {
    const inherited = process.env[key];
    if (env[key] === undefined && inherited !== undefined) env[key] = inherited;
  }
  return env;
}
