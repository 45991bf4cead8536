#!/usr/bin/env node
// Writes packages/api-client/src/schema.ts from packages/api-client/openapi.json (see
// render-types.mjs). `npm run gen:api` runs it after apps/server/scripts/write-openapi.mjs.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { renderTypes } from "./render-types.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const document = JSON.parse(fs.readFileSync(path.join(root, "openapi.json"), "utf8"));
const output = path.join(root, "src/schema.ts");
fs.writeFileSync(output, await renderTypes(document));
console.log(`wrote ${path.relative(process.cwd(), output)}`);
