#!/usr/bin/env node
// Writes apps/server/src/http/paperclip-known-fields.json: for every method + path of Paperclip's
// published OpenAPI documents, the top-level body fields and query parameters it defines. The
// request pipeline (src/http/paperclip-compat.ts) uses the table to accept, ignore and name the
// fields Paperclip clients send that Staple does not model, instead of answering 400.
//
// Usage: node apps/server/scripts/generate-paperclip-known-fields.mjs [--check] [openapi.json ...]
// --check writes nothing and exits 1 when the checked-in table differs from what the inputs give.
// Default inputs: shared/docs/peer916-openapi.json and shared/docs/peer-openapi.json beside the
// repository. The output is deterministic (sorted), so re-running it on the same inputs is a no-op.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../../..");
const OUTPUT = path.join(here, "../src/http/paperclip-known-fields.json");
const DEFAULT_INPUTS = ["peer916-openapi.json", "peer-openapi.json"].map((f) => path.resolve(repoRoot, "../shared/docs", f));
const METHODS = ["get", "post", "put", "patch", "delete"];

/**
 * Query parameters Paperclip's server reads that its published OpenAPI documents leave out, for
 * the routes Staple also serves (read from the 2026.916.1 server's route handlers). Listed by hand
 * because the documents cannot be regenerated from here; keep it to routes Staple serves.
 */
const UNDOCUMENTED_QUERY = {
  "get /api/companies/{}/issues": [
    "status",
    "assigneeAgentId",
    "assigneeUserId",
    "participantAgentId",
    "touchedByUserId",
    "inboxArchivedByUserId",
    "unreadForUserId",
    "projectId",
    "workspaceId",
    "executionWorkspaceId",
    "parentId",
    "parentIssueId",
    "descendantOf",
    "createdFromIssueId",
    "labelId",
    "originKind",
    "originKindPrefix",
    "originId",
    "includeRoutineExecutions",
    "excludeRoutineExecutions",
    "includePluginOperations",
    "includeBlockedBy",
    "includeBlockedInboxAttention",
    "includeLiveDescendantSummary",
    "hasPlanDocument",
    "attention",
    "updatedSince",
    "q",
    "afterId",
    "limit",
    "offset",
    "sortField",
    "sortDir",
    "view",
  ],
  "get /api/issues/{}/comments": ["after", "afterCommentId", "order", "limit"],
  "get /api/companies/{}/activity": ["agentId", "entityType", "entityId", "limit"],
  "get /api/issues/{}/documents": ["includeSystem"],
  "get /api/issues/{}/work-products": ["refreshPullRequests"],
  "get /api/companies/{}/projects": ["includeArchived"],
  "get /api/companies/{}/heartbeat-runs": ["agentId", "limit", "summary"],
  "get /api/companies/{}/live-runs": ["minCount", "limit"],
  "get /api/heartbeat-runs/{}/events": ["afterSeq", "limit"],
  "get /api/heartbeat-runs/{}/log": ["offset", "limitBytes"],
  "get /api/issues/{}/tree-holds": ["status", "mode", "includeMembers"],
  "post /api/issues/{}/admin/force-release": ["clearAssignee"],
  "get /api/companies/{}/adapters/{}/models": ["refresh", "environmentId", "provider"],
  "get /api/board-api-keys": ["includeInactive"],
  "get /api/issues/{}/heartbeat-context": ["wakeCommentId"],
  "get /api/agents/me/inbox/mine": ["userId", "status"],
};

/** `/api/issues/{issueId}/comments` and `/api/issues/:id/comments` both become `/api/issues/{}/comments`. */
export function normalizePath(p) {
  return p.replace(/\{[^}]+\}/g, "{}").replace(/:[A-Za-z0-9_]+/g, "{}");
}

/** Top-level property names of a JSON schema, through oneOf/anyOf/allOf variants. */
function propertyNames(schema, depth = 0) {
  const names = new Set();
  if (!schema || typeof schema !== "object" || depth > 8) return names;
  for (const name of Object.keys(schema.properties ?? {})) names.add(name);
  for (const key of ["oneOf", "anyOf", "allOf"]) {
    for (const variant of schema[key] ?? []) for (const name of propertyNames(variant, depth + 1)) names.add(name);
  }
  return names;
}

function collect(documents) {
  const table = new Map();
  const entry = (key) => {
    if (!table.has(key)) table.set(key, { body: new Set(), query: new Set() });
    return table.get(key);
  };
  for (const doc of documents) {
    for (const [p, ops] of Object.entries(doc.paths ?? {})) {
      for (const method of METHODS) {
        const op = ops[method];
        if (!op) continue;
        const e = entry(`${method} ${normalizePath(p)}`);
        for (const param of [...(ops.parameters ?? []), ...(op.parameters ?? [])]) {
          if (param?.in === "query" && typeof param.name === "string") e.query.add(param.name);
        }
        const json = op.requestBody?.content?.["application/json"]?.schema;
        for (const name of propertyNames(json)) e.body.add(name);
      }
    }
  }
  for (const [key, names] of Object.entries(UNDOCUMENTED_QUERY)) for (const n of names) entry(key).query.add(n);
  const routes = {};
  for (const key of [...table.keys()].sort()) {
    const { body, query } = table.get(key);
    if (body.size === 0 && query.size === 0) continue;
    routes[key] = { ...(body.size ? { body: [...body].sort() } : {}), ...(query.size ? { query: [...query].sort() } : {}) };
  }
  return routes;
}

/** The table's file text for the given OpenAPI files (one route per line: small diffs). */
export function render(inputs) {
  const documents = inputs.map((file) => JSON.parse(fs.readFileSync(file, "utf8")));
  const routes = collect(documents);
  const comment = "Generated by apps/server/scripts/generate-paperclip-known-fields.mjs; do not edit by hand.";
  const lines = Object.entries(routes).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  const sources = inputs.map((f) => path.basename(f));
  const text = `{\n  "comment": ${JSON.stringify(comment)},\n  "sources": ${JSON.stringify(sources)},\n  "routes": {\n${lines.join(",\n")}\n  }\n}\n`;
  return { text, count: Object.keys(routes).length };
}

function main() {
  const args = process.argv.slice(2);
  const check = args.includes("--check");
  const files = args.filter((a) => a !== "--check");
  const { text, count } = render(files.length ? files : DEFAULT_INPUTS);
  if (check) {
    const current = fs.existsSync(OUTPUT) ? fs.readFileSync(OUTPUT, "utf8") : "";
    if (current !== text) {
      console.error(`${path.relative(process.cwd(), OUTPUT)} is stale: run this script without --check`);
      process.exit(1);
    }
    console.log(`up to date (${count} routes)`);
    return;
  }
  fs.writeFileSync(OUTPUT, text);
  console.log(`wrote ${count} routes to ${path.relative(process.cwd(), OUTPUT)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
