import type { components } from "@staple/api-client";

export type ExecutionPacket = components["schemas"]["RunnerExecutionPacket"];
export type RegisteredRunner = components["schemas"]["RegisteredRunner"];

/** A refused runner request: `status` and the server's `code` (e.g. 409 runner_lease_lost, 401 invalid_runner_token). */
export class RunnerRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** Every request is bounded; a claim's long poll gets its wait plus this margin. */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The runner's side of the runner endpoints (docs/runners.md): plain JSON over fetch with the runner
 * token, each request bounded by a timeout and by the caller's signal. Failures are
 * RunnerRequestError (an answer) or the transport's error (no answer).
 */
export class RunnerApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async post<T>(pathname: string, body: unknown, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<T> {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? REQUEST_TIMEOUT_MS);
    const response = await fetch(this.baseUrl + pathname, {
      method: "POST",
      headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout,
    });
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    if (!response.ok) {
      const b = (parsed && typeof parsed === "object" ? parsed : {}) as { error?: string; code?: string };
      throw new RunnerRequestError(
        response.status,
        b.code,
        `${pathname}: HTTP ${response.status} ${b.error ?? String(parsed).slice(0, 200)}`,
      );
    }
    return parsed as T;
  }

  register(body: { name: string; hostname: string; labels: string[]; adapterTypes: string[]; version?: string }) {
    return this.post<RegisteredRunner>("/api/runners/register", body);
  }

  heartbeat(runnerId: string, runIds: string[]) {
    return this.post<{ status: string; stopRunIds: string[] }>(`/api/runners/${runnerId}/heartbeat`, { runIds });
  }

  claim(runnerId: string, body: { max: number; waitMs: number; home: string }, signal: AbortSignal) {
    return this.post<{ status: string; runs: ExecutionPacket[] }>(`/api/runners/${runnerId}/claim`, body, {
      signal,
      timeoutMs: body.waitMs + REQUEST_TIMEOUT_MS,
    });
  }

  drain(runnerId: string) {
    return this.post(`/api/runners/${runnerId}/drain`, {});
  }

  runPost<T>(runnerId: string, runId: string, what: "log" | "events" | "finish", body: unknown) {
    return this.post<T>(`/api/runners/${runnerId}/runs/${runId}/${what}`, body);
  }
}
