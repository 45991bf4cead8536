import { CliError, UsageError } from "./errors.js";
import type { Progress } from "./progress.js";

/**
 * The HTTP client of the Staple API. Invariants:
 * - every request goes to `<base>/api/...`; the base is normalised once (trailing `/` and `/api`
 *   removed), so `--api http://host:3100` and `--api http://host:3100/api/` are the same server;
 * - the API key, when set, is sent as `Authorization: Bearer <key>` on every request, SSE included
 *   (which key: see credentials.ts); a 401 carries a hint on what to send instead;
 * - a non-2xx answer becomes an ApiError carrying the server's `{error, code, details}`;
 *   a request that never got an answer becomes an UnreachableError naming the URL;
 * - every request is bounded by `timeoutMs`.
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

export type Query = Record<string, string | number | undefined>;

export interface ApiClientOptions {
  baseUrl: string;
  apiKey: string | undefined;
  progress: Progress;
  timeoutMs?: number;
  /** Appended to the message of a 401. */
  unauthorizedHint?: () => string;
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly progress: Progress;
  private readonly timeoutMs: number;
  private readonly unauthorizedHint: (() => string) | undefined;

  constructor(options: ApiClientOptions) {
    this.baseUrl = normalizeBaseUrl(options.baseUrl);
    this.apiKey = options.apiKey || undefined;
    this.progress = options.progress;
    this.timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
    this.unauthorizedHint = options.unauthorizedHint;
  }

  /** Absolute URL of an API path (`/api/...`) with its query (undefined values dropped). */
  url(path: string, query?: Query): string {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    return url.href;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { accept: "application/json", ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}), ...extra };
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>("GET", path, { query });
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("POST", path, { body });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PATCH", path, { body });
  }

  async request<T>(method: string, path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> {
    const url = this.url(path, options.query);
    const init: RequestInit = {
      method,
      headers: this.headers(options.body === undefined ? {} : { "content-type": "application/json" }),
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(this.timeoutMs),
    };
    const res = await this.progress.around(`${method} ${path}`, this.send(url, init));
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text (a proxy's error page, say) */
    }
    if (!res.ok) throw new ApiError(res.status, body, url, res.status === 401 ? this.unauthorizedHint?.() : undefined);
    return body as T;
  }

  /** fetch, with a transport failure turned into an UnreachableError that names the URL. */
  async send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (error) {
      throw new UnreachableError(describeUnreachable(url, error, this.timeoutMs));
    }
  }
}

function describeUnreachable(url: string, error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const reason =
    e?.name === "TimeoutError" ? `no answer within ${Math.round(timeoutMs / 1000)} s` : (e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error));
  return `could not reach the Staple server at ${url} (${reason}). Is it running? Start it with \`staple start\`, or point --api / STAPLE_API_URL at it.`;
}
