import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { CliError } from "../errors.js";

/**
 * Where the built server lives. The CLI never copies server code: `start` runs its dist/main.js and
 * `doctor` imports its config and database modules, so both behave exactly like the server.
 * Invariant: a missing build is reported with the command that makes it (`npm run build`).
 */
export function serverDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve("@staple/server/package.json"));
}

export function serverDist(file: string): string {
  return path.join(serverDir(), "dist", file);
}

export function requireBuiltServer(): string {
  const main = serverDist("main.js");
  if (!fs.existsSync(main))
    throw new CliError(`the server is not built (${main} is missing): run \`npm run build\` at the repository root`);
  return main;
}
