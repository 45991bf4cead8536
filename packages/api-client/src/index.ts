import createClient, { type Client } from "openapi-fetch";
import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };
/** Every named schema of the document (`Schemas["Issue"]`, `Schemas["Agent"]`, …). */
export type Schemas = components["schemas"];
export type StapleClient = Client<paths>;

/** A non-2xx answer of the API: the status and the `{error, code?, details?}` body every error has. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface StapleClientOptions {
  /**
   * Origin of the server, e.g. `http://127.0.0.1:3100` (Node), or the page's own origin in a
   * browser (`location.origin`), where fetch then sends the board's session cookie by itself.
   */
  baseUrl: string;
  /** Defaults to the global fetch (browsers, Node 18+). */
  fetch?: (request: Request) => Promise<Response>;
  /** Sent with every request, e.g. `{ authorization: "Bearer …" }` from a CLI. */
  headers?: Record<string, string>;
  /** Called for every 401 before the error reaches the caller (the board shows its sign-in screen). */
  onUnauthorized?: () => void;
}

/**
 * A typed client of the Staple API: paths, parameters, bodies and answers come from the generated
 * `paths` type, so a call the server would not accept does not compile. `credentials` stays at
 * fetch's default ("same-origin"): a browser sends its session cookie to its own origin only.
 */
export function createStapleClient(options: StapleClientOptions): StapleClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    headers: { accept: "application/json", ...options.headers },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const onUnauthorized = options.onUnauthorized;
  if (onUnauthorized) {
    client.use({
      onResponse({ response }) {
        if (response.status === 401) onUnauthorized();
      },
    });
  }
  return client;
}

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's data, or an ApiError built from the error body (JSON or text). */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  const body = (error && typeof error === "object" ? error : {}) as { error?: unknown; code?: unknown; details?: unknown };
  const message = typeof body.error === "string" ? body.error : typeof error === "string" && error ? error : `HTTP ${response.status}`;
  throw new ApiError(response.status, message, typeof body.code === "string" ? body.code : undefined, body.details);
}

/** One readable line for an error, with the `details` of a validation error (zod issues) appended. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const issues = Array.isArray(error.details) ? (error.details as { path?: unknown[]; message?: unknown }[]) : [];
    const extra = issues
      .filter((i) => i && typeof i.message === "string")
      .map((i) => (i.path?.length ? `${i.path.join(".")}: ${String(i.message)}` : String(i.message)))
      .join("; ");
    return extra ? `${error.message} (${extra})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
