#!/usr/bin/env node
// Writes packages/api-client/openapi.json: Staple's OpenAPI document, built from the compiled
// server's route table (apps/server/dist) exactly as GET /api/openapi.json builds it, without
// starting a server or opening a database. Run `npm run gen:api` at the root, which compiles the
// server first and then regenerates the client's types from this document.
//
// Usage: node apps/server/scripts/write-openapi.mjs [output.json]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const serverRoot = path.resolve(here, "..");
const output = path.resolve(process.argv[2] ?? path.join(serverRoot, "../../packages/api-client/openapi.json"));

const dist = (file) => pathToFileURL(path.join(serverRoot, "dist", file)).href;
if (!fs.existsSync(path.join(serverRoot, "dist/http/routes/index.js"))) {
  console.error("apps/server/dist is missing: run `npx tsc -b apps/server` (or `npm run gen:api`) first.");
  process.exit(1);
}
const { allRoutes } = await import(dist("http/routes/index.js"));
const { buildOpenApi } = await import(dist("http/openapi.js"));
const { version } = JSON.parse(fs.readFileSync(path.join(serverRoot, "package.json"), "utf8"));

const text = `${JSON.stringify(buildOpenApi(allRoutes, version), null, 2)}\n`;
fs.writeFileSync(output, text);
console.log(`wrote ${path.relative(process.cwd(), output)} (${Object.keys(JSON.parse(text).paths).length} paths)`);
