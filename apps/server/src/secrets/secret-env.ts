import { createHmac } from "node:crypto";
import { conflict, validationError } from "../errors.js";

/**
 * Secret env entries (`adapterConfig.env.NAME = {type: "secret", value}`) are write-only.
 *
 * Invariants:
 * - Every agent the API returns goes through `maskAgent`; a read never carries a secret value, only
 *   `{type: "secret", masked: true, fingerprint: "hmac-sha256:<12 hex>"}`.
 * - The fingerprint is an HMAC under a key derived from a server-side secret, over (agent id, env name,
 *   value): stable while the value is unchanged, useless for guessing a short secret offline, and not
 *   comparable across agents (so creating agents with guessed values is no oracle for another agent's).
 * - A write may send a masked entry back unchanged: it keeps the stored value if the fingerprint
 *   matches the stored value under the same name; anything else is refused, never stored.
 * - The run engine reads the stored config directly, so runs still receive the real value.
 */

export const FINGERPRINT_PREFIX = "hmac-sha256:";

export interface MaskedSecretEntry {
  type: "secret";
  masked: true;
  fingerprint: string;
}

type Config = Record<string, unknown>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `{type: "secret", value: string}` as stored. */
export function isStoredSecret(entry: unknown): entry is { type: "secret"; value: string } {
  return isPlainObject(entry) && entry.type === "secret" && typeof entry.value === "string";
}

/** `{type: "secret", masked: true, …}` as returned by reads. */
export function isMaskedSecret(entry: unknown): entry is MaskedSecretEntry {
  return isPlainObject(entry) && entry.type === "secret" && entry.masked === true;
}

/** The secret values of one stored adapter config (any adapter type that has an `env` object). */
export function secretValuesOf(config: unknown): string[] {
  if (!isPlainObject(config) || !isPlainObject(config.env)) return [];
  return Object.values(config.env)
    .filter(isStoredSecret)
    .map((e) => e.value);
}

export function createSecretEnv(serverSecret: string) {
  // Domain separation: the fingerprint key is derived, never the server secret itself.
  const key = createHmac("sha256", serverSecret).update("staple:secret-env-fingerprint:v1").digest();

  function fingerprint(agentId: string, name: string, value: string): string {
    const mac = createHmac("sha256", key).update(`${agentId}\0${name}\0${value}`).digest("hex");
    return `${FINGERPRINT_PREFIX}${mac.slice(0, 12)}`;
  }

  /** A copy of `config` with every secret env value replaced by its mask. */
  function maskConfig(agentId: string, config: Config): Config {
    if (!isPlainObject(config) || !isPlainObject(config.env)) return config;
    if (!Object.values(config.env).some(isStoredSecret)) return config;
    const env: Record<string, unknown> = {};
    for (const [name, entry] of Object.entries(config.env)) {
      env[name] = isStoredSecret(entry)
        ? ({ type: "secret", masked: true, fingerprint: fingerprint(agentId, name, entry.value) } satisfies MaskedSecretEntry)
        : entry;
    }
    return { ...config, env };
  }

  /** The shape every agent serializer returns. */
  function maskAgent<T extends { id: string; adapterConfig: Config }>(agent: T): T {
    const adapterConfig = maskConfig(agent.id, agent.adapterConfig);
    return adapterConfig === agent.adapterConfig ? agent : { ...agent, adapterConfig };
  }

  /**
   * The config to store for a write: masked entries become the stored value they stand for.
   * `stored` is the agent's current config (null on create, where nothing can be kept).
   * Throws a 400 for a masked entry with nothing behind it, a 409 when the stored value changed.
   */
  function unmaskForWrite(agentId: string | null, incoming: Config, stored: Config | null): Config {
    if (!isPlainObject(incoming.env) || !Object.values(incoming.env).some(isMaskedSecret)) return incoming;
    const storedEnv = stored && isPlainObject(stored.env) ? stored.env : {};
    const env: Record<string, unknown> = {};
    for (const [name, entry] of Object.entries(incoming.env)) {
      if (!isMaskedSecret(entry)) {
        env[name] = entry;
        continue;
      }
      const current = Object.hasOwn(storedEnv, name) ? storedEnv[name] : undefined;
      if (agentId === null || !isStoredSecret(current)) {
        throw validationError(
          `adapterConfig.env.${name} is a masked secret but no secret is stored under that name; send {type: "secret", value}`,
          [{ path: ["adapterConfig", "env", name], message: "masked secret with no stored value" }],
        );
      }
      if (entry.fingerprint !== fingerprint(agentId, name, current.value)) {
        throw conflict(
          `adapterConfig.env.${name} changed since it was read; reload the agent and try again`,
          { path: ["adapterConfig", "env", name] },
          "secret_env_changed",
        );
      }
      env[name] = { type: "secret", value: current.value };
    }
    return { ...incoming, env };
  }

  return { fingerprint, maskConfig, maskAgent, unmaskForWrite };
}
export type SecretEnv = ReturnType<typeof createSecretEnv>;
