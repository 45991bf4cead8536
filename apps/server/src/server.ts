import fs from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Config } from "./config.js";
import { createLogger, type Logger } from "./logger.js";
import { openDatabase, type OpenedDatabase } from "./db/open.js";
import type { Database } from "./db/database.js";
import type { Services } from "./services.js";
import { createRuntime, type RuntimeOptions } from "./runtime.js";
import { createAuthenticator } from "./auth/authenticate.js";
import { LOCAL_BOARD_USER_ID } from "./auth/actor.js";
import { resolveAgentJwtSecret } from "./auth/jwt-secret.js";
import { createApp, type App } from "./http/app.js";
import { createHttpServer } from "./http/node-server.js";

export class PortInUseError extends Error {}

export const VERSION: string = JSON.parse(
  fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../package.json"), "utf8"),
).version;

export interface AppBundle {
  app: App;
  services: Services;
  jwtSecret: string;
  authenticate: ReturnType<typeof createAuthenticator>;
  /** The board API key kept in `$STAPLE_HOME/board-token` (what the CLI sends). */
  boardToken: string;
}

export interface BuildOptions {
  deploymentMode: Config["deploymentMode"];
  agentJwtSecret: string | undefined;
  agentJwtTtlSeconds?: number;
  home: string;
  apiUrl?: string;
  /** Paperclip's local behaviour: no credential = the board (STAPLE_UNAUTHENTICATED_BOARD=1). */
  unauthenticatedBoard?: boolean;
  /** Largest attachment upload in bytes (STAPLE_ATTACHMENT_MAX_BYTES; default 25 MB). */
  attachmentMaxBytes?: number;
  runtime?: Partial<
    Pick<
      RuntimeOptions,
      "adapters" | "schedulerIntervalMs" | "leaseMs" | "clock" | "recovery" | "runLogMaxBytes" | "runLogRetentionDays" | "outboundAllow"
    >
  >;
}

/** Builds the services, run engine and HTTP app over an open database (also used by in-process tests). */
export async function buildApp(db: Database, opts: BuildOptions, logger: Logger): Promise<AppBundle> {
  const jwtSecret = await resolveAgentJwtSecret(db, opts.agentJwtSecret);
  const services = createRuntime(db, logger, {
    home: opts.home,
    apiUrl: opts.apiUrl ?? "http://127.0.0.1:3100",
    jwt: { secret: jwtSecret, ttlSeconds: opts.agentJwtTtlSeconds ?? 3600 },
    ...opts.runtime,
  });
  // Inline env secrets into the store, values under an old master key re-encrypted (docs/secrets.md).
  await services.secretStore.startUp();
  const authenticate = createAuthenticator({ db, jwtSecret, unauthenticatedBoard: opts.unauthenticatedBoard ?? false });
  const boardToken = await services.boardCredentials.ensureTokenFile(opts.home, LOCAL_BOARD_USER_ID);
  const app = createApp({
    services,
    authenticate,
    logger,
    info: { version: VERSION, deploymentMode: opts.deploymentMode, databaseKind: db.kind },
    attachmentMaxBytes: opts.attachmentMaxBytes,
  });
  return { app, services, jwtSecret, authenticate, boardToken };
}

export interface RunningServer extends AppBundle {
  url: string;
  port: number;
  db: Database;
  close(): Promise<void>;
}

/** Opens the database, migrates, and listens. Refuses (never silently moves) when the port is taken. */
export async function startServer(
  config: Config,
  logger = createLogger(config.logLevel),
  /** An already opened database (main.ts opens it while this module graph loads). */
  preopened?: Promise<OpenedDatabase>,
): Promise<RunningServer> {
  const opened = await (preopened ?? openDatabase(config, logger));
  let bundle: AppBundle;
  try {
    bundle = await buildApp(
      opened.db,
      {
        deploymentMode: config.deploymentMode,
        agentJwtSecret: config.agentJwtSecret,
        agentJwtTtlSeconds: config.agentJwtTtlSeconds,
        home: config.home,
        unauthenticatedBoard: config.unauthenticatedBoard,
        attachmentMaxBytes: config.attachmentMaxBytes,
        runtime: {
          leaseMs: config.leaseMs,
          schedulerIntervalMs: config.schedulerIntervalMs,
          runLogMaxBytes: config.runLogMaxBytes,
          runLogRetentionDays: config.runLogRetentionDays,
          outboundAllow: config.outboundAllow,
        },
      },
      logger,
    );
  } catch (error) {
    await opened.close();
    throw error;
  }
  // Parser errors answered as JSON, guarded listeners, and the live WebSocket endpoint.
  const { server, liveWs } = createHttpServer(bundle.app.fetch, { services: bundle.services, authenticate: bundle.authenticate, logger });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await opened.close();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new PortInUseError(
        `Port ${config.port} on ${config.host} is already in use. Stop the process using it, or start Staple on another port: PORT=3200 npm start`,
      );
    }
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  bundle.services.engine.setApiUrl(config.publicApiUrl ?? url);
  await bundle.services.live.start();
  await bundle.services.engine.start();
  let closing: Promise<void> | undefined;
  return {
    ...bundle,
    db: opened.db,
    url,
    port,
    close() {
      closing ??= (async () => {
        // Stop the engine first: it aborts local runs and records them for recovery on next start.
        await bundle.services.engine.stop();
        liveWs.close();
        await bundle.services.live.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
        });
        await opened.close();
      })();
      return closing;
    },
  };
}
