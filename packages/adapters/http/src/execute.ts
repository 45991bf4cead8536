import {
  OutboundBlockedError,
  OutboundRedirectError,
  outboundRequest,
  type AdapterExecuteContext,
  type AdapterResult,
} from "@staple/adapter-kit";
import type { IncomingHttpHeaders } from "node:http";
import { parseHttpConfig, type HttpAdapterConfig } from "./config.js";
import { blockedHint } from "./outbound-hint.js";
import { readCappedBody } from "./read-body.js";

/** Response bytes read, logged and kept in `resultJson`. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Methods sent without a body. */
const BODYLESS_METHODS = new Set(["GET", "HEAD", "DELETE"]);

/**
 * Headers that carry no credentials; every other header value is registered as a secret. Registering
 * "application/json" would blank that text out of every log line of the run for no benefit.
 */
const NON_SECRET_HEADERS = new Set(["content-type", "accept", "accept-encoding", "accept-language", "user-agent"]);

/**
 * Sends one request per heartbeat.
 *
 * Invariants: never rejects for problems of the run (bad config, network errors, non-2xx, timeout and
 * cancellation resolve with an errorCode); every hop (first request and each redirect) goes through the outbound
 * guard with the run's allow-list, and a refused destination ends the run with `outbound_blocked` before any
 * byte is sent there; the request is aborted (socket closed) when `signal` aborts or
 * the timeout fires, whichever is first, and that first cause is what the result reports; credential-bearing
 * header values are registered with `onSecret` before anything is logged or sent; at most MAX_BODY_BYTES of
 * the response is read.
 */
export async function executeHttp(ctx: AdapterExecuteContext, signal: AbortSignal): Promise<AdapterResult> {
  const parsed = parseHttpConfig(ctx.agent.adapterConfig);
  if (!parsed.ok) {
    return { exitCode: null, signal: null, timedOut: false, errorCode: "adapter_config_invalid", errorMessage: parsed.message };
  }
  const config = parsed.config;
  registerSecrets(config, ctx);
  const displayUrl = config.url.href;
  await ctx.onMeta({
    adapterType: "http",
    method: config.method,
    url: displayUrl,
    headerNames: Object.keys(config.headers).sort(),
  });
  if (signal.aborted) return cancelled();

  const timeout = new AbortController();
  // Clamped: setTimeout fires at once for delays above 2^31-1 ms.
  const timer = config.timeoutMs > 0 ? setTimeout(() => timeout.abort(), Math.min(config.timeoutMs, 2_147_483_647)) : undefined;
  try {
    const response = await outboundRequest(config.url, {
      ...requestInit(config, ctx),
      allow: ctx.outboundAllow ?? [],
      signal: AbortSignal.any([signal, timeout.signal]),
      onRedirect: (status, _from, to) => ctx.onLog("stdout", `HTTP ${status} redirect to ${to.href}\n`),
    });
    const body = await readCappedBody(response.body, MAX_BODY_BYTES);
    clearTimeout(timer);
    await ctx.onLog("stdout", `HTTP ${response.status} ${displayUrl}\n`);
    if (body.text !== "") await ctx.onLog("stdout", body.text.endsWith("\n") ? body.text : `${body.text}\n`);
    const resultJson: Record<string, unknown> = { status: response.status, body: decodeBody(response.headers, body.text, body.truncated) };
    if (body.truncated) resultJson.bodyTruncated = true;
    if (response.url.href !== displayUrl) resultJson.finalUrl = response.url.href;
    if (response.status >= 200 && response.status < 300) return { exitCode: 0, signal: null, timedOut: false, resultJson };
    return {
      exitCode: null,
      signal: null,
      timedOut: false,
      errorCode: "http_status_error",
      errorMessage: `HTTP ${response.status} from ${displayUrl}`,
      resultJson,
    };
  } catch (error) {
    // Ask which signal fired rather than inspecting the error: abort errors look alike either way.
    if (signal.aborted) return cancelled();
    if (timeout.signal.aborted) {
      return { exitCode: null, signal: null, timedOut: true, errorCode: "timeout", errorMessage: `Timed out after ${config.timeoutMs}ms` };
    }
    if (error instanceof OutboundBlockedError) {
      await ctx.onLog("stderr", `${error.message}\n`);
      return {
        exitCode: null,
        signal: null,
        timedOut: false,
        errorCode: "outbound_blocked",
        errorMessage: `${error.message}. ${blockedHint}`,
      };
    }
    if (error instanceof OutboundRedirectError) {
      return { exitCode: null, signal: null, timedOut: false, errorCode: "http_redirect_invalid", errorMessage: error.message };
    }
    return { exitCode: null, signal: null, timedOut: false, errorCode: "http_request_failed", errorMessage: describeError(error) };
  } finally {
    clearTimeout(timer);
  }
}

function requestInit(
  config: HttpAdapterConfig,
  ctx: AdapterExecuteContext,
): { method: string; headers: Record<string, string>; body?: string } {
  const headers: Record<string, string> = { ...config.headers };
  const has = (name: string) => Object.keys(headers).some((k) => k.toLowerCase() === name);
  if (!has("user-agent")) headers["user-agent"] = "Staple-http-adapter";
  if (BODYLESS_METHODS.has(config.method)) return { method: config.method, headers };
  if (!has("content-type")) headers["content-type"] = "application/json";
  // Engine-owned fields win over the template so a template cannot impersonate another agent or run.
  const body = JSON.stringify({ ...config.payloadTemplate, agentId: ctx.agent.id, runId: ctx.runId, context: ctx.context });
  return { method: config.method, headers, body };
}

function registerSecrets(config: HttpAdapterConfig, ctx: AdapterExecuteContext): void {
  if (!ctx.onSecret) return;
  for (const [name, value] of Object.entries(config.headers)) {
    if (!NON_SECRET_HEADERS.has(name.toLowerCase())) ctx.onSecret(value);
  }
}

/** JSON when the response says so and parses (and was not cut); otherwise the text. */
function decodeBody(headers: IncomingHttpHeaders, text: string, truncated: boolean): unknown {
  const type = headers["content-type"] ?? "";
  if (truncated || !/\bjson\b/i.test(type)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Network errors name their reason in `message`, sometimes with a `cause` behind it. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : null;
  return cause && cause !== error.message ? `${error.message}: ${cause}` : error.message;
}

function cancelled(): AdapterResult {
  return { exitCode: null, signal: null, timedOut: false, errorCode: "cancelled", errorMessage: "Run cancelled" };
}
