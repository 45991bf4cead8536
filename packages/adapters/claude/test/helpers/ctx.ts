import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AdapterEvent, AdapterExecuteContext, AdapterRuntime, SpawnInfo } from "@staple/adapter-kit";

export const FAKE_CLAUDE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/fake-claude.mjs");

export interface Recorded {
  logs: Array<{ stream: "stdout" | "stderr"; chunk: string }>;
  meta: Array<Record<string, unknown>>;
  spawns: SpawnInfo[];
  secrets: string[];
  events: AdapterEvent[];
}

export const NO_SESSION: AdapterRuntime = { sessionId: null, sessionParams: null, sessionDisplayId: null, taskKey: null };

export function makeCtx(adapterConfig: Record<string, unknown>, overrides: Partial<AdapterExecuteContext> = {}) {
  const rec: Recorded = { logs: [], meta: [], spawns: [], secrets: [], events: [] };
  const ctx: AdapterExecuteContext = {
    runId: "run-123",
    agent: { id: "agent-9", companyId: "company-1", name: "Claude", adapterType: "claude_local", adapterConfig: { command: FAKE_CLAUDE, ...adapterConfig } },
    runtime: NO_SESSION,
    env: { PAPERCLIP_RUN_ID: "run-123", PAPERCLIP_AGENT_ID: "agent-9" },
    secrets: [],
    context: {},
    prompt: "Do the task.",
    cwd: null,
    onLog: (stream, chunk) => void rec.logs.push({ stream, chunk }),
    onMeta: (meta) => void rec.meta.push(meta),
    onSpawn: (info) => void rec.spawns.push(info),
    onSecret: (value) => void rec.secrets.push(value),
    onEvent: (event) => void rec.events.push(event),
    ...overrides,
  };
  return { ctx, rec };
}

export const logText = (rec: Recorded, stream: "stdout" | "stderr") =>
  rec.logs.filter((l) => l.stream === stream).map((l) => l.chunk).join("");

/** The fake's invocation records (argv, stdin, cwd, pid), one per process started. */
export function readRecords(file: string): Array<{ argv: string[]; stdin: string; cwd: string; pid: number }> {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as { argv: string[]; stdin: string; cwd: string; pid: number });
}
