import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildOpenApi } from "../../../apps/server/src/http/openapi.js";
import { allRoutes } from "../../../apps/server/src/http/routes/index.js";
// @ts-expect-error plain ESM script without types
import { renderTypes } from "../scripts/render-types.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const serverPackage = path.resolve(root, "../../apps/server/package.json");

/** The document exactly as apps/server/scripts/write-openapi.mjs writes it, from the route table in source. */
function currentDocument(): string {
  const { version } = JSON.parse(fs.readFileSync(serverPackage, "utf8")) as { version: string };
  return `${JSON.stringify(buildOpenApi(allRoutes, version), null, 2)}\n`;
}

describe("generated API client", () => {
  it("openapi.json matches the server's route table (run `npm run gen:api` when this fails)", () => {
    const checkedIn = fs.readFileSync(path.join(root, "openapi.json"), "utf8");
    expect(checkedIn === currentDocument(), "packages/api-client/openapi.json is stale: run `npm run gen:api`").toBe(true);
  });

  it("src/schema.ts matches the checked-in document (run `npm run gen:api` when this fails)", async () => {
    const document = JSON.parse(fs.readFileSync(path.join(root, "openapi.json"), "utf8")) as object;
    const checkedIn = fs.readFileSync(path.join(root, "src/schema.ts"), "utf8");
    expect(checkedIn === (await renderTypes(document)), "packages/api-client/src/schema.ts is stale: run `npm run gen:api`").toBe(true);
  });

  it("the document has no self-referencing schema (openapi-typescript and other tools reject one)", () => {
    const schemas = (JSON.parse(currentDocument()) as { components: { schemas: Record<string, { $ref?: string }> } }).components.schemas;
    for (const [name, schema] of Object.entries(schemas)) expect(schema.$ref, name).not.toBe(`#/components/schemas/${name}`);
  });
});
