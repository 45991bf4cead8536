import type { AddressInfo } from "node:net";
import { afterAll, beforeAll } from "vitest";
import { createTestApp, type TestApp } from "./test-app.js";
import type { BuildOptions } from "../../src/server.js";
import { createHttpServer } from "../../src/http/node-server.js";
import { createLogger } from "../../src/logger.js";

export interface TestServer extends TestApp {
  url: string;
  /** Stops the engine (aborting local runs), the HTTP listener, and drops the database. */
  close(): Promise<void>;
}

/**
 * The real app with the run engine started and listening on a loopback port, so agent processes
 * spawned by runs can call the API back. Short scheduler and lease periods keep tests quick.
 */
export async function startTestServer(opts: Partial<BuildOptions> = {}): Promise<TestServer> {
  const app = await createTestApp({ ...opts, runtime: { schedulerIntervalMs: 500, leaseMs: 3000, ...(opts.runtime ?? {}) } });
  const { server, liveWs: ws } = createHttpServer(app.app.fetch, {
    services: app.services,
    authenticate: app.authenticate,
    logger: createLogger("silent"),
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  app.services.engine.setApiUrl(url);
  await app.services.live.start();
  await app.services.engine.start();
  return {
    ...app,
    url,
    async close() {
      await app.services.engine.stop();
      ws.close();
      await app.services.live.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await app.tdb.drop();
    },
  };
}

export function useTestServer(opts: Partial<BuildOptions> = {}): { current: TestServer } {
  const holder = {} as { current: TestServer };
  beforeAll(async () => {
    holder.current = await startTestServer(opts);
  });
  afterAll(async () => {
    await holder.current?.close();
  });
  return holder;
}

/** Polls `check` until it returns a value (bounded); throws with `what` on timeout. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 15_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
