import { ApiError } from "../api/client.js";

/**
 * A validation error's messages by field path ("adapterConfig.command"), from the `details` of a
 * 400 answer (zod issues). Messages of the same path are joined; issues without a path go under "".
 * Anything that is not a validation error gives {}.
 */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError) || !Array.isArray(error.details)) return {};
  const out: Record<string, string> = {};
  for (const issue of error.details as { path?: unknown[]; message?: unknown }[]) {
    if (!issue || typeof issue.message !== "string") continue;
    const key = Array.isArray(issue.path) ? issue.path.map(String).join(".") : "";
    out[key] = out[key] ? `${out[key]}; ${issue.message}` : issue.message;
  }
  return out;
}

/** The message for a field: its own path, or the first path under it (`adapterConfig` → `adapterConfig.x`). */
export function errorFor(errors: Record<string, string>, ...paths: string[]): string | undefined {
  for (const p of paths) {
    if (errors[p]) return errors[p];
  }
  for (const p of paths) {
    const nested = Object.keys(errors).find((k) => k.startsWith(p + "."));
    if (nested) return `${nested.slice(p.length + 1)}: ${errors[nested]}`;
  }
  return undefined;
}
