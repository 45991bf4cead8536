import { z } from "zod";
import { nullAsUnset, parseAdapterConfig, type ConfigIssue } from "@staple/adapter-kit/config";
/**
 * The `http` adapter's config: the one schema the API checks at save time, the board's form validates
 * with, and `execute`/`testEnvironment` parse with at run start (browser-safe:
 * `@staple/adapter-http/config`, imports zod and the kit's helpers only).
 *
 * Invariants: a parsed config has an absolute http(s) URL without credentials, one of the methods below
 * (any case, upper-cased), header names that are HTTP tokens with values Node can send (no CR/LF/NUL,
 * Latin-1), a plain-object payload template and a timeout of 0..1 hour in ms (0 = no timeout). Unknown
 * keys are kept.
 */

export const DEFAULT_METHOD = "POST";
export const DEFAULT_TIMEOUT_MS = 30_000;
export const MAX_TIMEOUT_MS = 3_600_000;
export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** RFC 9110 token characters. */
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What Node's http client accepts in a header value: tab, visible ASCII, space, and Latin-1. */
const HEADER_VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;

const Url = z
  .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a string") })
  .trim()
  .min(1, "is required")
  .pipe(z.url({ protocol: /^https?$/, error: "must be an absolute http or https URL" }))
  // fetch refuses such URLs, and credentials there would end up in logs: they belong in headers.
  // Refinements still run after a failed format check: an unparsable URL was reported there, so it passes here.
  .refine((url) => {
    const parsed = URL.canParse(url) ? new URL(url) : null;
    return parsed === null || (parsed.username === "" && parsed.password === "");
  }, "must not contain credentials (user:password@); put them in adapterConfig.headers, e.g. Authorization");

export const httpConfigSchema = z.looseObject({
  url: Url,
  method: nullAsUnset(z.string().toUpperCase().pipe(z.enum(HTTP_METHODS)).default(DEFAULT_METHOD)),
  headers: nullAsUnset(
    z
      .record(
        z.string().regex(TOKEN_RE),
        z.string().regex(HEADER_VALUE_RE, "must not contain line breaks, NUL or characters beyond Latin-1"),
        {
          error: (issue) => (issue.code === "invalid_key" ? "invalid header name" : undefined),
        },
      )
      .default({}),
  ),
  payloadTemplate: nullAsUnset(z.record(z.string(), z.unknown()).default({})),
  timeoutMs: nullAsUnset(
    z.number().int().min(0, "must be a number >= 0").max(MAX_TIMEOUT_MS, "must be at most 3600000 (1 hour)").default(DEFAULT_TIMEOUT_MS),
  ),
});

export type HttpConfig = z.output<typeof httpConfigSchema>;
/** What a run uses: the schema's output with the URL parsed (a value derived at run start). */
export interface HttpAdapterConfig {
  url: URL;
  method: (typeof HTTP_METHODS)[number];
  headers: Record<string, string>;
  payloadTemplate: Record<string, unknown>;
  timeoutMs: number;
}
export type ParsedHttpConfig =
  | { ok: true; config: HttpAdapterConfig }
  | { ok: false; field: string; message: string; issues: ConfigIssue[] };

export function parseHttpConfig(raw: unknown): ParsedHttpConfig {
  const parsed = parseAdapterConfig(httpConfigSchema, raw);
  if (!parsed.ok) return { ok: false, field: String(parsed.issues[0]?.path[0] ?? ""), message: parsed.message, issues: parsed.issues };
  const { url, method, headers, payloadTemplate, timeoutMs } = parsed.config;
  return { ok: true, config: { url: new URL(url), method, headers, payloadTemplate, timeoutMs } };
}
