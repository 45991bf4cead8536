import type { AdapterModule } from "@staple/adapter-kit";
import { claudeAdapter } from "@staple/adapter-claude";
import { codexAdapter } from "@staple/adapter-codex";
import { httpAdapter } from "@staple/adapter-http";
import { processAdapter } from "@staple/adapter-process";

/** The adapters a runner executes with (the same modules a server uses, unchanged), by adapter type. */
export const RUNNER_ADAPTERS: Readonly<Record<string, AdapterModule>> = Object.freeze({
  process: processAdapter,
  http: httpAdapter,
  claude_local: claudeAdapter,
  codex_local: codexAdapter,
});
