import os from "node:os";
import path from "node:path";
import { DEPLOYMENT_MODES, type DeploymentMode } from "@staple/contracts";
import { allowListProblems, splitAllowList } from "@staple/adapter-kit";

export interface Config {
  host: string;
  port: number;
  /** Root of everything Staple keeps on disk: embedded database, run logs, secrets. */
  home: string;
  /** Postgres server URL; absent means the embedded database under `home`. */
  databaseUrl: string | undefined;
  deploymentMode: DeploymentMode;
  /** Base URL agents use to reach this server (defaults to http://host:port). */
  publicApiUrl: string | undefined;
  agentJwtSecret: string | undefined;
  agentJwtTtlSeconds: number;
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  /** Run lease length (ms): a run whose server stops renewing it is reaped this long after. Unset = engine default (30 s). */
  leaseMs: number | undefined;
  /**
   * Paperclip's local behaviour, off by default: a request without credentials is the board. Any
   * process on the machine (every agent included) then acts as the board; warned at every start.
   */
  unauthenticatedBoard: boolean;
  /** Interval (ms) of the run engine's periodic pass (timers, lease reaping, queued runs). Unset = engine default (10 s). */
  schedulerIntervalMs: number | undefined;
  /** Per-run log cap (STAPLE_RUN_LOG_MAX_BYTES). Unset = 50 MB; past it the newest output is kept. */
  runLogMaxBytes: number | undefined;
  /** Days stored run logs are kept (STAPLE_RUN_LOG_RETENTION_DAYS). Unset = kept. */
  runLogRetentionDays: number | undefined;
  /** Largest attachment upload (STAPLE_ATTACHMENT_MAX_BYTES). Unset = 25 MB. */
  attachmentMaxBytes: number | undefined;
  /** Outbound allow-list entries from STAPLE_OUTBOUND_ALLOW (host[:port], address[:port] or CIDR, comma-separated). */
  outboundAllow: string[];
}

export class ConfigError extends Error {}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

/** An optional integer of milliseconds within [min, max]; unset or empty -> undefined. */
function optionalMs(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer number of milliseconds between ${min} and ${max} (got "${raw}")`);
  }
  return value;
}

/** Parses the environment once. Every problem is reported with the variable and a valid example. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = env.PORT === undefined || env.PORT === "" ? 3100 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT must be an integer between 0 and 65535 (got "${env.PORT}")`);
  }
  const host = env.HOST || "127.0.0.1";
  const mode = (env.STAPLE_DEPLOYMENT_MODE || env.PAPERCLIP_DEPLOYMENT_MODE || "local_trusted") as DeploymentMode;
  if (!DEPLOYMENT_MODES.includes(mode)) {
    throw new ConfigError(`STAPLE_DEPLOYMENT_MODE must be one of ${DEPLOYMENT_MODES.join(", ")} (got "${mode}")`);
  }
  // local_trusted is one person on one machine: the board credential travels over plain HTTP and,
  // with STAPLE_UNAUTHENTICATED_BOARD=1, no credential at all is the board. Only authenticated mode
  // (users, passwords, roles) may listen on a network address.
  if (mode === "local_trusted" && !LOOPBACK.has(host)) {
    throw new ConfigError(
      `HOST=${host} would give anyone on the network board access (local_trusted mode). ` +
        `Bind to 127.0.0.1, or run with STAPLE_DEPLOYMENT_MODE=authenticated (email sign-in, members and roles).`,
    );
  }
  if (mode === "authenticated" && env.STAPLE_UNAUTHENTICATED_BOARD === "1") {
    throw new ConfigError("STAPLE_UNAUTHENTICATED_BOARD=1 cannot be combined with STAPLE_DEPLOYMENT_MODE=authenticated; unset one of them");
  }
  const ttl = env.PAPERCLIP_AGENT_JWT_TTL_SECONDS ? Number(env.PAPERCLIP_AGENT_JWT_TTL_SECONDS) : 3600;
  if (!Number.isInteger(ttl) || ttl <= 0) {
    throw new ConfigError(`PAPERCLIP_AGENT_JWT_TTL_SECONDS must be a positive integer (got "${env.PAPERCLIP_AGENT_JWT_TTL_SECONDS}")`);
  }
  const logLevel = (env.STAPLE_LOG_LEVEL || "info") as Config["logLevel"];
  if (!["debug", "info", "warn", "error", "silent"].includes(logLevel)) {
    throw new ConfigError(`STAPLE_LOG_LEVEL must be debug, info, warn, error or silent (got "${logLevel}")`);
  }
  const leaseMs = optionalMs(env, "STAPLE_LEASE_MS", 1_000, 86_400_000);
  const schedulerIntervalMs = optionalMs(env, "STAPLE_SCHEDULER_INTERVAL_MS", 100, 3_600_000);
  const runLogRaw = env.STAPLE_RUN_LOG_MAX_BYTES;
  const runLogMaxBytes = runLogRaw === undefined || runLogRaw === "" ? undefined : Number(runLogRaw);
  if (runLogMaxBytes !== undefined && (!Number.isInteger(runLogMaxBytes) || runLogMaxBytes < 65_536)) {
    throw new ConfigError(
      `STAPLE_RUN_LOG_MAX_BYTES must be an integer number of bytes >= 65536, e.g. 52428800 for 50 MB (got "${runLogRaw}")`,
    );
  }
  const retentionRaw = env.STAPLE_RUN_LOG_RETENTION_DAYS;
  const runLogRetentionDays = retentionRaw === undefined || retentionRaw === "" ? undefined : Number(retentionRaw);
  if (
    runLogRetentionDays !== undefined &&
    (!Number.isInteger(runLogRetentionDays) || runLogRetentionDays < 1 || runLogRetentionDays > 36_500)
  ) {
    throw new ConfigError(`STAPLE_RUN_LOG_RETENTION_DAYS must be a whole number of days from 1 to 36500, e.g. 30 (got "${retentionRaw}")`);
  }
  const attachmentRaw = env.STAPLE_ATTACHMENT_MAX_BYTES;
  const attachmentMaxBytes = attachmentRaw === undefined || attachmentRaw === "" ? undefined : Number(attachmentRaw);
  if (
    attachmentMaxBytes !== undefined &&
    (!Number.isInteger(attachmentMaxBytes) || attachmentMaxBytes < 1 || attachmentMaxBytes > 1024 ** 3)
  ) {
    throw new ConfigError(
      `STAPLE_ATTACHMENT_MAX_BYTES must be an integer number of bytes from 1 to 1073741824, e.g. 26214400 for 25 MB (got "${attachmentRaw}")`,
    );
  }
  const outboundAllow = splitAllowList(env.STAPLE_OUTBOUND_ALLOW);
  const badAllow = allowListProblems(outboundAllow);
  if (badAllow.length > 0) {
    throw new ConfigError(`STAPLE_OUTBOUND_ALLOW: ${badAllow.join("; ")} (e.g. STAPLE_OUTBOUND_ALLOW="10.0.0.0/8,hooks.lan:8080")`);
  }
  return {
    host,
    port,
    home: path.resolve(env.STAPLE_HOME || path.join(os.homedir(), ".staple")),
    databaseUrl: env.DATABASE_URL || undefined,
    deploymentMode: mode,
    publicApiUrl: env.STAPLE_API_URL_FOR_AGENTS || env.PAPERCLIP_RUNTIME_API_URL || undefined,
    agentJwtSecret: env.PAPERCLIP_AGENT_JWT_SECRET || env.STAPLE_AGENT_JWT_SECRET || undefined,
    agentJwtTtlSeconds: ttl,
    logLevel,
    leaseMs,
    schedulerIntervalMs,
    runLogMaxBytes,
    runLogRetentionDays,
    attachmentMaxBytes,
    outboundAllow,
    unauthenticatedBoard: env.STAPLE_UNAUTHENTICATED_BOARD === "1",
  };
}
