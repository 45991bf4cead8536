import { createStapleClient, type paths, type StapleClient } from "@staple/api-client";
import { CliError, UsageError } from "./errors.js";
import type { Progress } from "./progress.js";

/**
 * The CLI's connection to a Staple server: the generated client (@staple/api-client: paths,
 * parameters, bodies and answers typed from the server's OpenAPI document) plus what it leaves to
 * a command-line tool. Invariants:
 * - every request goes to `<base>/api/...`; the base is normalised once (trailing `/` and `/api`
 *   removed), so `--api http://host:3100` and `--api http://host:3100/api/` are the same server;
 * - the API key, when set, is sent as `Authorization: Bearer <key>` on every request, SSE included
 *   (which key: see credentials.ts); a 401 carries a hint on what to send instead;
 * - a non-2xx answer becomes an ApiError carrying the server's `{error, code, details}`;
 *   a request that never got an answer becomes an UnreachableError naming the URL;
 * - every request is bounded by `timeoutMs` and shows the spinner while it waits.
 */

/** The server's default address: apps/server/src/config.ts binds 127.0.0.1:3100 unless HOST/PORT say otherwise. */
export const DEFAULT_API_URL = "http://127.0.0.1:3100";
export const REQUEST_TIMEOUT_MS = 30_000;

export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly url: string,
    hint?: string,
  ) {
    super(formatApiError(status, body) + (hint ? `\n${hint}` : ""));
  }
}

export class UnreachableError extends CliError {}

/** `error` text of the server, its code, and each validation problem on its own line. */
function formatApiError(status: number, body: unknown): string {
  const b = (body && typeof body === "object" ? body : {}) as { error?: unknown; code?: unknown; details?: unknown };
  let text = typeof b.error === "string" ? b.error : typeof body === "string" && body ? body : "request failed";
  text += ` (HTTP ${status}${typeof b.code === "string" ? `, ${b.code}` : ""})`;
  if (Array.isArray(b.details)) {
    for (const d of b.details as { path?: unknown[]; message?: unknown }[]) {
      const where = Array.isArray(d.path) && d.path.length ? `${d.path.join(".")}: ` : "";
      text += `\n  - ${where}${String(d.message ?? JSON.stringify(d))}`;
    }
  }
  return text;
}

export function normalizeBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--api / STAPLE_API_URL must be a URL like ${DEFAULT_API_URL} (got "${raw}")`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--api must be an http(s) URL (got "${raw}")`);
  return url.href.replace(/\/+$/, "").replace(/\/api$/, "");
}

/** What a call of the generated client resolves to (openapi-fetch's answer, narrowed to what we read). */
export interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The JSON body of `method path` in the generated document (bodies built field by field from flags). */
export type JsonBody<P extends keyof paths, M extends "post" | "patch"> = paths[P][M] extends {
  requestBody?: { content: { "application/json": infer B } };
}
  ? B
  : never;

export interface ConnectionOptions {
  baseUrl: string;
  apiKey: string | undefined;
  progress: Progress;
  timeoutMs?: number;
  /** Appended to the message of a 401. */
  unauthorizedHint?: () => string;
}

export class Connection {
  readonly baseUrl: string;
  /** The generated client; pass its calls to `call`. */
  readonly client: StapleClient;
  private readonly apiKey: string | undefined;
  private readonly progress: Progress;
  private readonly timeoutMs: number;
  private readonly unauthorizedHint: (() => string) | undefined;

  constructor(options: ConnectionOptions) {
    this.baseUrl = normalizeBaseUrl(options.baseUrl);
    this.apiKey = options.apiKey || undefined;
    this.progress = options.progress;
    this.timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    this.unauthorizedHint = options.unauthorizedHint;
    this.client = createStapleClient({ baseUrl: this.baseUrl, headers: this.headers(), fetch: (request) => this.send(request) });
  }

  /** The answer's data; a non-2xx answer becomes an ApiError (with the hint after a 401). */
  async call<T>(pending: Promise<Answer<T>>): Promise<T> {
    let answer: Answer<T>;
    try {
      answer = await pending;
    } catch (error) {
      // openapi-fetch parses a 2xx body as JSON; anything else did not come from a Staple server.
      if (error instanceof SyntaxError)
        throw new CliError(`the server at ${this.baseUrl} did not answer with JSON (is it a Staple server?)`);
      throw error;
    }
    const { response } = answer;
    if (response.ok) return answer.data as T;
    // openapi-fetch gives the error body parsed as JSON, else as text ("" / undefined when empty).
    const body = answer.error === undefined || answer.error === "" ? null : answer.error;
    throw new ApiError(response.status, body, response.url, response.status === 401 ? this.unauthorizedHint?.() : undefined);
  }

  /** Absolute URL of an API path (`/api/...`) that the OpenAPI document does not list (the SSE stream). */
  url(path: string): string {
    return new URL(this.baseUrl + path).href;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}), ...extra };
  }

  /** fetch with the timeout and the spinner; a transport failure becomes an UnreachableError naming the URL. */
  private async send(request: Request): Promise<Response> {
    const bounded = new Request(request, { signal: AbortSignal.timeout(this.timeoutMs) });
    const label = `${request.method} ${new URL(request.url).pathname}`;
    return this.progress.around(
      label,
      fetch(bounded).catch((error: unknown) => {
        throw new UnreachableError(describeUnreachable(request.url, error, this.timeoutMs));
      }),
    );
  }
}

function describeUnreachable(url: string, error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const reason =
    e?.name === "TimeoutError"
      ? `no answer within ${Math.round(timeoutMs / 1000)} s`
      : (e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error));
  return `could not reach the Staple server at ${url} (${reason}). Is it running? Start it with \`staple start\`, or point --api / STAPLE_API_URL at it.`;
}
