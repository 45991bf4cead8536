import fs from "node:fs";
import type { AdapterEvent, AdapterExecuteContext, AdapterRuntime, SpawnInfo } from "@staple/adapter-kit";

/**
 * An adapter execute context that records every callback, for the adapter packages' tests
 * (imported by relative path). Each suite wraps it with its own adapter type, command and defaults.
 */

/** What the adapter reported through the context's callbacks, in order. */
export interface Recorded {
  logs: Array<{ stream: "stdout" | "stderr"; chunk: string }>;
  meta: Array<Record<string, unknown>>;
  spawns: SpawnInfo[];
  secrets: string[];
  events: AdapterEvent[];
}

export const NO_SESSION: AdapterRuntime = { sessionId: null, sessionParams: null, sessionDisplayId: null, taskKey: null };

/**
 * A context for `agent` with no session, no prompt, no cwd and the engine's identity variables
 * (run, agent, company); `fields` replace any of these (a given `env` replaces the whole default).
 */
export function recordingContext(agent: AdapterExecuteContext["agent"], fields: Partial<AdapterExecuteContext> = {}) {
  const rec: Recorded = { logs: [], meta: [], spawns: [], secrets: [], events: [] };
  const runId = fields.runId ?? "run-123";
  const ctx: AdapterExecuteContext = {
    runId,
    agent,
    runtime: NO_SESSION,
    env: { PAPERCLIP_RUN_ID: runId, PAPERCLIP_AGENT_ID: agent.id, PAPERCLIP_COMPANY_ID: agent.companyId },
    secrets: [],
    context: {},
    prompt: null,
    cwd: null,
    onLog: (stream, chunk) => void rec.logs.push({ stream, chunk }),
    onMeta: (meta) => void rec.meta.push(meta),
    onSpawn: (info) => void rec.spawns.push(info),
    onSecret: (value) => void rec.secrets.push(value),
    onEvent: (event) => void rec.events.push(event),
    ...fields,
  };
  return { ctx, rec };
}

/** Everything logged on one stream, joined. */
export const logText = (rec: Recorded, stream: "stdout" | "stderr") =>
  rec.logs
    .filter((l) => l.stream === stream)
    .map((l) => l.chunk)
    .join("");

/** The lines of a fake CLI's JSON-lines record file (one object per invocation); none when it was never written. */
export function readJsonLines<T>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as T);
}
