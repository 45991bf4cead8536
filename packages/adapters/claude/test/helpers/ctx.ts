import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AdapterExecuteContext } from "@staple/adapter-kit";
import { readJsonLines, recordingContext } from "../../../../../test-support/adapter-context.js";

export const FAKE_CLAUDE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/fake-claude.mjs");

/** A recording context for a claude_local agent whose command defaults to the fake CLI. */
export function makeCtx(adapterConfig: Record<string, unknown>, overrides: Partial<AdapterExecuteContext> = {}) {
  return recordingContext(
    {
      id: "agent-9",
      companyId: "company-1",
      name: "Claude",
      adapterType: "claude_local",
      adapterConfig: { command: FAKE_CLAUDE, ...adapterConfig },
    },
    { env: { PAPERCLIP_RUN_ID: "run-123", PAPERCLIP_AGENT_ID: "agent-9" }, prompt: "Do the task.", ...overrides },
  );
}

/** The fake's invocation records (argv, stdin, cwd, pid), one per process started. */
export const readRecords = (file: string) => readJsonLines<{ argv: string[]; stdin: string; cwd: string; pid: number }>(file);
