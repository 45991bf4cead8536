/**
 * Field parsers shared by the adapters' config parsers. Each returns the value or an error message
 * naming the field (never throws), so an adapter reports a bad config as `adapter_config_invalid`.
 */

/** One configured environment variable; `secret` values are registered for redaction. */
export interface EnvEntry {
  value: string;
  secret: boolean;
}

/** `adapterConfig.env`: names valid for an environment (non-empty, no "=" or NUL), values without NUL. */
export function parseEnvEntries(env: unknown): Record<string, EnvEntry> | string {
  if (typeof env !== "object" || env === null || Array.isArray(env)) return "adapterConfig.env must be an object";
  const out: Record<string, EnvEntry> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key === "" || key.includes("=") || key.includes("\0")) return `adapterConfig.env has an invalid name: ${JSON.stringify(key)}`;
    const entry = parseEnvEntry(value);
    if (entry === null) return `adapterConfig.env.${key} must be a string or {type: "plain" | "secret", value: string}`;
    if (entry.value.includes("\0")) return `adapterConfig.env.${key} must not contain a NUL character`;
    out[key] = entry;
  }
  return out;
}

/** A bare string is a plain value; otherwise `{type: "plain" | "secret", value}`; anything else is null. */
export function parseEnvEntry(value: unknown): EnvEntry | null {
  if (typeof value === "string") return { value, secret: false };
  if (typeof value !== "object" || value === null) return null;
  const { type, value: inner } = value as { type?: unknown; value?: unknown };
  if (typeof inner !== "string") return null;
  if (type === "plain") return { value: inner, secret: false };
  if (type === "secret") return { value: inner, secret: true };
  return null;
}

/** Absent/null -> fallback; otherwise a finite number >= 0, or an error message. */
export function parseSeconds(field: string, value: unknown, fallback: number): number | string {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) return `adapterConfig.${field} must be a number >= 0`;
  return value;
}
