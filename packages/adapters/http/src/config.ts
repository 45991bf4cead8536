/**
 * The `http` adapter's config, parsed from the agent's untyped `adapterConfig`.
 *
 * Invariants: a parsed config has an absolute http(s) URL without credentials, an upper-case method token, string header
 * values, a plain-object payload template and a finite timeout >= 0 (0 = no timeout). Problems come back
 * as a message naming the field, never thrown.
 */

export interface HttpAdapterConfig {
  url: URL;
  method: string;
  headers: Record<string, string>;
  payloadTemplate: Record<string, unknown>;
  timeoutMs: number;
}

export const DEFAULT_METHOD = "POST";
export const DEFAULT_TIMEOUT_MS = 30_000;

/** RFC 9110 token characters. */
const METHOD_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export type ParsedHttpConfig = { ok: true; config: HttpAdapterConfig } | { ok: false; field: string; message: string };

export function parseHttpConfig(raw: Record<string, unknown>): ParsedHttpConfig {
  const { url, method = DEFAULT_METHOD, headers = {}, payloadTemplate = {}, timeoutMs } = raw;
  const parsedUrl = parseHttpUrl(url);
  if (typeof parsedUrl === "string") return { ok: false, field: "url", message: parsedUrl };
  if (typeof method !== "string" || !METHOD_RE.test(method)) {
    return { ok: false, field: "method", message: "adapterConfig.method must be an HTTP method name such as POST" };
  }
  if (!isPlainObject(headers) || !Object.values(headers).every((v) => typeof v === "string")) {
    return { ok: false, field: "headers", message: "adapterConfig.headers must be an object of string values" };
  }
  if (!isPlainObject(payloadTemplate)) {
    return { ok: false, field: "payloadTemplate", message: "adapterConfig.payloadTemplate must be an object" };
  }
  let timeout = DEFAULT_TIMEOUT_MS;
  if (timeoutMs !== undefined && timeoutMs !== null) {
    if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
      return { ok: false, field: "timeoutMs", message: "adapterConfig.timeoutMs must be a number >= 0" };
    }
    timeout = timeoutMs;
  }
  return {
    ok: true,
    config: {
      url: parsedUrl,
      method: method.toUpperCase(),
      headers: headers as Record<string, string>,
      payloadTemplate,
      timeoutMs: timeout,
    },
  };
}

/** The URL, or a message saying what is wrong with it. */
export function parseHttpUrl(url: unknown): URL | string {
  if (typeof url !== "string" || url.trim() === "") return "adapterConfig.url is required";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `adapterConfig.url is not a valid absolute URL: ${JSON.stringify(url)}`;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return `adapterConfig.url must use http or https, not ${parsed.protocol.replace(/:$/, "")}`;
  }
  // fetch refuses such URLs, and credentials there would end up in logs: they belong in headers.
  if (parsed.username || parsed.password) {
    return "adapterConfig.url must not contain credentials (user:password@); put them in adapterConfig.headers, e.g. Authorization";
  }
  return parsed;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
