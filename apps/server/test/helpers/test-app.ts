import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { createLogger } from "../../src/logger.js";
import { buildApp, type AppBundle, type BuildOptions } from "../../src/server.js";
import { createTestDatabase, type TestDatabase } from "./test-db.js";

export interface CallOptions {
  body?: unknown;
  /** Raw body text (for malformed JSON tests); wins over `body`. */
  rawBody?: string;
  /** Bearer token; the board's token (from the app's token file) when neither this nor `anonymous` is set. */
  token?: string;
  /** Send no credential at all (no Authorization header). */
  anonymous?: boolean;
  runId?: string;
  headers?: Record<string, string>;
}

export interface CallResult<T = any> {
  status: number;
  body: T;
}

export interface TestApp extends AppBundle {
  tdb: TestDatabase;
  home: string;
  call<T = any>(method: string, path: string, options?: CallOptions): Promise<CallResult<T>>;
  get<T = any>(path: string, options?: CallOptions): Promise<CallResult<T>>;
  post<T = any>(path: string, body?: unknown, options?: CallOptions): Promise<CallResult<T>>;
  patch<T = any>(path: string, body?: unknown, options?: CallOptions): Promise<CallResult<T>>;
  put<T = any>(path: string, body?: unknown, options?: CallOptions): Promise<CallResult<T>>;
  del<T = any>(path: string, options?: CallOptions): Promise<CallResult<T>>;
}

export const TEST_JWT_SECRET = "test-secret-for-agent-jwts";

/** Builds the real app over an isolated database; requests run in process (no port). */
export async function createTestApp(opts: Partial<BuildOptions> = {}): Promise<TestApp> {
  const tdb = await createTestDatabase();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "staple-test-home-"));
  const bundle = await buildApp(
    tdb.db,
    { deploymentMode: "local_trusted", agentJwtSecret: TEST_JWT_SECRET, home, ...opts },
    createLogger((process.env.STAPLE_TEST_LOG_LEVEL as "debug" | undefined) ?? "silent"),
  );
  const call = async (method: string, path: string, options: CallOptions = {}): Promise<CallResult> => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers["content-type"] ??= "application/json";
    const hasAuthorization = Object.keys(headers).some((name) => name.toLowerCase() === "authorization" || name.toLowerCase() === "cookie");
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    else if (!options.anonymous && !hasAuthorization) headers.authorization = `Bearer ${bundle.boardToken}`;
    if (options.runId) headers["x-paperclip-run-id"] = options.runId;
    const response = await bundle.app.request(path, { method: method.toUpperCase(), headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* keep text */
    }
    return { status: response.status, body: parsed };
  };
  return {
    ...bundle,
    tdb,
    home,
    call,
    get: (p, o) => call("GET", p, o),
    post: (p, b, o) => call("POST", p, { ...o, body: b }),
    patch: (p, b, o) => call("PATCH", p, { ...o, body: b }),
    put: (p, b, o) => call("PUT", p, { ...o, body: b }),
    del: (p, o) => call("DELETE", p, o),
  };
}

/** Registers beforeAll/afterAll for a file-wide app; read `.current` inside tests. */
export function useTestApp(): { current: TestApp } {
  const holder = {} as { current: TestApp };
  beforeAll(async () => {
    holder.current = await createTestApp();
  });
  afterAll(async () => {
    await holder.current?.tdb.drop();
  });
  return holder;
}
