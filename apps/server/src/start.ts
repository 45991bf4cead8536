// The server process: configuration, database, HTTP server, shutdown. Started by main.ts (directly,
// or from the bundle `npm run build` writes to dist/bundle; see scripts/bundle-server.mjs).
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { openDatabase } from "./db/open.js";
import path from "node:path";
import { DataDirBusyError } from "./db/data-dir-lock.js";
import { BOARD_TOKEN_FILE } from "./auth/board-credentials.js";
import { LOCAL_BOARD_USER_ID } from "./auth/actor.js";
import { BUNDLE_LOAD, type BundleLoad } from "./bundle-loader.js";

/** Graceful shutdown: stop accepting, finish in-flight requests, close the database; force after 15 s. */
const SHUTDOWN_GRACE_MS = 15_000;

async function main() {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`staple: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const started = Date.now();
  // Open the database while the rest of the server's modules load: the embedded database compiles
  // its WebAssembly off the main thread, so the two overlap.
  const opening = openDatabase(config, logger);
  opening.catch(() => {}); // handled below, once the server module asks for it
  const { PortInUseError, startServer } = await import("./server.js");
  let server: Awaited<ReturnType<typeof import("./server.js")["startServer"]>>;
  try {
    server = await startServer(config, logger, opening);
  } catch (error) {
    if (error instanceof PortInUseError || error instanceof DataDirBusyError) {
      logger.error("cannot start", { reason: error.message });
      process.stderr.write(`staple: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // The board: a one-time link for the browser (it becomes a session cookie) and the token file
  // for the CLI and curl. Agents get neither.
  // Authenticated mode prints no login link (logs may travel); the first start prints the one-time
  // setup URL through which the owner signs up.
  const authenticated = config.deploymentMode === "authenticated";
  const login = authenticated ? null : await server.services.boardCredentials.createLoginLink(LOCAL_BOARD_USER_ID);
  const setupCode = authenticated ? await server.services.users.createSetupCode() : null;
  // Read only now: main.ts sets it when the bundle's entry (this module) has finished its first turn.
  const bundleLoad = (globalThis as Record<symbol, unknown>)[BUNDLE_LOAD] as BundleLoad | undefined;
  logger.info("staple listening", {
    url: server.url,
    deploymentMode: config.deploymentMode,
    ...(login ? { boardLoginUrl: `${server.url}/api/board/login?code=${login.code}` } : {}),
    ...(setupCode ? { setupUrl: `${server.url}/setup?code=${setupCode}` } : {}),
    boardTokenFile: path.join(config.home, BOARD_TOKEN_FILE),
    database: config.databaseUrl ? "postgres" : "embedded",
    home: config.home,
    startMs: Date.now() - started,
    // Started from the bundle: whether every chunk compiled from V8's code cache (bundle-loader.ts).
    ...(bundleLoad ? { codeCacheUsed: [...bundleLoad.cached.values()].every(Boolean) } : {}),
  });
  // Started from the bundle: its code cache is written now, holding what a start compiles.
  if (bundleLoad) setImmediate(bundleLoad.writeCodeCache);
  if (config.unauthenticatedBoard) {
    logger.warn(
      "STAPLE_UNAUTHENTICATED_BOARD=1: every request without credentials acts as the board. Any process on this machine, " +
        "every agent included, can read and change every company. Unset it to require the board token.",
    );
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    const force = setTimeout(() => {
      logger.error("shutdown timed out; exiting");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server
      .close()
      .then(() => {
        logger.info("stopped");
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error("shutdown failed", { err: error });
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error: unknown) => {
  process.stderr.write(`staple: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
