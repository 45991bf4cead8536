import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Which credential the CLI sends. In order: `--api-key`, `STAPLE_API_KEY`, then the board token
 * file `$STAPLE_HOME/board-token` that the server writes at start (mode 0600), so `staple ...` on
 * the server's machine needs no setup. Invariant: the token file is sent only to a server on this
 * machine (a loopback address); a remote server gets the board token only when it is passed
 * explicitly, so `--api http://elsewhere` never leaks the local board's credential.
 */

export const BOARD_TOKEN_FILE = "board-token";

export type CredentialSource = "flag" | "env" | "login" | "token-file" | "none";

/** Keys saved by `staple login`, per server URL: `$STAPLE_HOME/cli-credentials.json`, mode 0600. */
export const CLI_CREDENTIALS_FILE = "cli-credentials.json";

interface SavedLogins {
  servers: Record<string, { apiKey: string; userId: string; savedAt: string }>;
}

export function credentialsFile(env: NodeJS.ProcessEnv): string {
  return path.join(stapleHome(env), CLI_CREDENTIALS_FILE);
}

function readLogins(env: NodeJS.ProcessEnv): SavedLogins {
  try {
    const parsed = JSON.parse(fs.readFileSync(credentialsFile(env), "utf8")) as SavedLogins;
    return parsed && typeof parsed.servers === "object" && parsed.servers !== null ? parsed : { servers: {} };
  } catch {
    return { servers: {} };
  }
}

export function savedLogin(env: NodeJS.ProcessEnv, baseUrl: string) {
  return readLogins(env).servers[baseUrl];
}

/** Saves (or, with null, forgets) the key for one server; written 0600 and replaced atomically. */
export function saveLogin(env: NodeJS.ProcessEnv, baseUrl: string, login: { apiKey: string; userId: string } | null): string {
  const file = credentialsFile(env);
  const logins = readLogins(env);
  if (login) logins.servers[baseUrl] = { ...login, savedAt: new Date().toISOString() };
  else delete logins.servers[baseUrl];
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(logins, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
  return file;
}

export interface Credential {
  apiKey: string | undefined;
  source: CredentialSource;
  /** The token file that was (or would have been) read. */
  tokenFile: string;
  /** Why the token file was not used when nothing else was given. */
  fileProblem?: string;
}

/** The data dir: STAPLE_HOME (set from --home by the dispatcher), default ~/.staple, as the server resolves it. */
export function stapleHome(env: NodeJS.ProcessEnv): string {
  return path.resolve(env.STAPLE_HOME || path.join(os.homedir(), ".staple"));
}

export function isLoopbackUrl(baseUrl: string): boolean {
  let host: string;
  try {
    host = new URL(baseUrl).hostname.toLowerCase();
  } catch {
    return false;
  }
  return host === "localhost" || host === "[::1]" || /^127(?:\.\d{1,3}){3}$/.test(host);
}

export function resolveCredential(options: { flag: string | undefined; env: NodeJS.ProcessEnv; baseUrl: string }): Credential {
  const tokenFile = path.join(stapleHome(options.env), BOARD_TOKEN_FILE);
  if (options.flag) return { apiKey: options.flag, source: "flag", tokenFile };
  if (options.env.STAPLE_API_KEY) return { apiKey: options.env.STAPLE_API_KEY, source: "env", tokenFile };
  // A key saved by `staple login` for exactly this server URL.
  const login = savedLogin(options.env, options.baseUrl);
  if (login) return { apiKey: login.apiKey, source: "login", tokenFile };
  if (!isLoopbackUrl(options.baseUrl)) {
    return {
      apiKey: undefined,
      source: "none",
      tokenFile,
      fileProblem: `the token file is only sent to a server on this machine, not to ${options.baseUrl}`,
    };
  }
  let token: string;
  try {
    token = fs.readFileSync(tokenFile, "utf8").trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      apiKey: undefined,
      source: "none",
      tokenFile,
      fileProblem: code === "ENOENT" ? `${tokenFile} does not exist` : `${tokenFile} cannot be read (${code})`,
    };
  }
  if (!token) return { apiKey: undefined, source: "none", tokenFile, fileProblem: `${tokenFile} is empty` };
  return { apiKey: token, source: "token-file", tokenFile };
}

/** What to do after a 401, for the credential that was sent. */
export function unauthorizedHint(credential: Credential, baseUrl: string): string {
  const pass = "pass a key with --api-key <key> or STAPLE_API_KEY (the board's key is the file board-token in the server's data dir)";
  switch (credential.source) {
    case "flag":
      return `The key given with --api-key was refused by ${baseUrl}.`;
    case "env":
      return `The key in STAPLE_API_KEY was refused by ${baseUrl}.`;
    case "login":
      return `The key saved by \`staple login\` for ${baseUrl} was refused (revoked, or its user removed): run \`staple login\` again.`;
    case "token-file":
      return (
        `The board token in ${credential.tokenFile} was refused by ${baseUrl}: it belongs to another server's data dir. ` +
        `Point --home / STAPLE_HOME at the data dir of the server at ${baseUrl}, or ${pass}.`
      );
    case "none":
      return (
        `No credential was sent (${credential.fileProblem ?? "no token file"}). The server writes its board token to ` +
        `$STAPLE_HOME/board-token at start: run staple on the server's machine with the same STAPLE_HOME (or --home <dir>), or ${pass}.`
      );
  }
}
