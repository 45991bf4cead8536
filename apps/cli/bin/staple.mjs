#!/usr/bin/env node
// The `staple` command. The CLI is TypeScript compiled by `npm run build` (tsc -b) into ../dist;
// this shim only checks that the build exists so a fresh checkout gets a useful message.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("staple: the CLI is not built yet: run `npm run build` at the repository root first\n");
  process.exit(1);
}
// `staple run list | head -1`: a closed pipe ends the command quietly instead of crashing it.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});
const { run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
