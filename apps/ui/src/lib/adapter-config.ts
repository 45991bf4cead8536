import type { z } from "zod";
import { processConfigSchema } from "@staple/adapter-process/config";
import { httpConfigSchema } from "@staple/adapter-http/config";
import { claudeConfigSchema } from "@staple/adapter-claude/config";
import { codexConfigSchema } from "@staple/adapter-codex/config";
import { geminiConfigSchema } from "@staple/adapter-gemini/config";
import { opencodeConfigSchema } from "@staple/adapter-opencode/config";
import { cursorConfigSchema } from "@staple/adapter-cursor/config";
import { acpConfigSchema } from "@staple/adapter-acp/config";
import { joinArgs, splitArgs } from "./format.js";

/**
 * The adapter part of the agent form, as plain strings, and the pure functions between it and an
 * `adapterConfig` (what the API stores for each adapter type).
 *
 * Validation and defaults come from each adapter package's own config schema, the one the API checks
 * at save time and the adapter parses with at run start: the form cannot accept a config the server
 * refuses, nor refuse one it accepts.
 */
export interface AdapterValues {
  adapterType: string;
  /** process and the coding-agent CLIs. */
  command: string;
  /** process, acp_local: the arguments as one command line. */
  args: string;
  cwd: string;
  timeoutSec: string;
  /** http. */
  url: string;
  /** claude_local, codex_local. */
  model: string;
  /** claude_local: low | medium | high | xhigh | max ("" = the CLI's default). */
  effort: string;
  maxTurns: string;
  permissionMode: string;
  /** codex_local. */
  reasoningEffort: string;
  /** codex_local: "" = bypass approvals and sandbox (the adapter's default), else a sandbox mode. */
  sandbox: string;
  /** The adapter's API key variable (API_KEY_ENV); sent as a secret only when filled. */
  apiKey: string;
  /**
   * The fingerprint of the API key secret already stored (reads return it masked, never the value);
   * while set and `apiKey` is empty, saving keeps the stored secret. "" = none stored, or removed.
   */
  apiKeyMasked: string;
  /** For adapter types the form does not know: the configuration as JSON. */
  configJson: string;
  /** Keys of the loaded configuration the form has no field for (kept on save, e.g. extraArgs, env). */
  preserved: Record<string, unknown>;
}

export const CLAUDE_EFFORTS = ["low", "medium", "high", "xhigh", "max"] as const;
export const CODEX_SANDBOXES = ["read-only", "workspace-write", "danger-full-access"] as const;
/** The API key variable the form offers per adapter (opencode_local and acp_local depend on the provider: set it in env). */
export const API_KEY_ENV: Record<string, string> = {
  claude_local: "ANTHROPIC_API_KEY",
  codex_local: "OPENAI_API_KEY",
  gemini_local: "GEMINI_API_KEY",
  cursor: "CURSOR_API_KEY",
};
export const KNOWN_ADAPTERS = [
  "process",
  "http",
  "claude_local",
  "codex_local",
  "gemini_local",
  "opencode_local",
  "cursor",
  "acp_local",
] as const;
type KnownAdapter = (typeof KNOWN_ADAPTERS)[number];

/** The adapters' own config schemas (the server's registry maps the same ones). */
export const ADAPTER_CONFIG_SCHEMAS: Record<KnownAdapter, z.ZodType<Record<string, unknown>>> = {
  process: processConfigSchema,
  http: httpConfigSchema,
  claude_local: claudeConfigSchema,
  codex_local: codexConfigSchema,
  gemini_local: geminiConfigSchema,
  opencode_local: opencodeConfigSchema,
  cursor: cursorConfigSchema,
  acp_local: acpConfigSchema,
};

const isKnown = (type: string): type is KnownAdapter => (KNOWN_ADAPTERS as readonly string[]).includes(type);

/** The smallest valid config of each type: parsing it yields the schema's defaults. */
const MINIMAL_CONFIG: Record<KnownAdapter, Record<string, unknown>> = {
  process: { command: "sh" },
  http: { url: "http://localhost/" },
  claude_local: {},
  codex_local: {},
  gemini_local: {},
  opencode_local: {},
  cursor: {},
  acp_local: { command: "agent" },
};

/** The values an adapter uses for the fields a config leaves unset (from its schema's defaults). */
export function adapterDefaults(type: string): Record<string, unknown> {
  if (!isKnown(type)) return {};
  const parsed = ADAPTER_CONFIG_SCHEMAS[type].safeParse(MINIMAL_CONFIG[type]);
  return parsed.success ? parsed.data : {};
}

/** The command an adapter starts when none is configured (claude_local: "claude", …; acp_local has none). */
export const DEFAULT_COMMANDS: Record<string, string> = Object.fromEntries(
  (["claude_local", "codex_local", "gemini_local", "opencode_local", "cursor"] as const).map((type) => [
    type,
    String(adapterDefaults(type).command),
  ]),
);

export interface AdapterConfigIssue {
  /** From `adapterConfig` down, as the API names it: ["adapterConfig", "env", "A"]. */
  path: (string | number)[];
  message: string;
}

/**
 * The problems the adapter's schema finds in `config` (empty when valid or the type is unknown here).
 * A masked secret entry stands for a value the server already stores and validated; it is checked as
 * a stand-in secret, as the server checks it after replacing it with the stored value.
 */
export function adapterConfigIssues(type: string, config: Record<string, unknown>): AdapterConfigIssue[] {
  if (!isKnown(type)) return [];
  const parsed = ADAPTER_CONFIG_SCHEMAS[type].safeParse(withMaskedStandIns(config));
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => ({
    path: ["adapterConfig", ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))],
    message: issue.message,
  }));
}

/** Issues by field path ("adapterConfig.maxTurns"), messages of one path joined. */
export function adapterConfigErrors(type: string, config: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of adapterConfigIssues(type, config)) {
    const key = issue.path.join(".");
    out[key] = out[key] ? `${out[key]}; ${issue.message}` : issue.message;
  }
  return out;
}

function withMaskedStandIns(config: Record<string, unknown>): Record<string, unknown> {
  if (!isRecord(config.env) || !Object.values(config.env).some(isMaskedSecret)) return config;
  const env = Object.fromEntries(Object.entries(config.env).map(([k, v]) => [k, isMaskedSecret(v) ? { type: "secret", value: "" } : v]));
  return { ...config, env };
}

export const ADAPTER_HINTS: Record<string, string> = {
  process: "Runs a local command on this machine for every heartbeat.",
  http: "Sends every heartbeat to a URL (a webhook your agent listens on).",
  claude_local: "Runs the Claude Code CLI (claude) on this machine for every heartbeat.",
  codex_local: "Runs the OpenAI Codex CLI (codex exec) on this machine for every heartbeat.",
  gemini_local: "Runs the Gemini CLI (gemini, stream-json) on this machine for every heartbeat.",
  opencode_local: "Runs OpenCode (opencode run) on this machine for every heartbeat; the model is provider/model.",
  cursor: "Runs Cursor's agent CLI (cursor-agent -p) on this machine for every heartbeat.",
  acp_local:
    "Runs any agent that speaks the Agent Client Protocol over stdio (e.g. gemini --acp, opencode acp), one prompt turn per heartbeat.",
};

/** The configuration keys each known adapter's form fields own; anything else is preserved. */
const OWNED: Record<string, readonly string[]> = {
  process: ["command", "args", "cwd", "timeoutSec"],
  http: ["url", "timeoutMs"],
  claude_local: ["command", "cwd", "model", "effort", "maxTurns", "permissionMode", "timeoutSec"],
  codex_local: ["command", "cwd", "model", "reasoningEffort", "sandbox", "bypassApprovalsAndSandbox", "timeoutSec"],
  gemini_local: ["command", "cwd", "model", "timeoutSec"],
  opencode_local: ["command", "cwd", "model", "timeoutSec"],
  cursor: ["command", "cwd", "model", "timeoutSec"],
  acp_local: ["command", "args", "cwd", "model", "timeoutSec"],
};

export const EMPTY_ADAPTER_VALUES: AdapterValues = {
  adapterType: "process",
  command: "",
  args: "",
  cwd: "",
  timeoutSec: "",
  url: "",
  model: "",
  effort: "",
  maxTurns: "",
  permissionMode: "",
  reasoningEffort: "",
  sandbox: "",
  apiKey: "",
  apiKeyMasked: "",
  configJson: "{}",
  preserved: {},
};

function num(value: string): number {
  return Number(value.trim());
}

/** Type + form values -> adapterConfig. Throws a readable Error when custom JSON is invalid. */
export function buildAdapterConfig(type: string, v: AdapterValues): Record<string, unknown> {
  if (!isKnown(type)) {
    try {
      const parsed = JSON.parse(v.configJson || "{}") as unknown;
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("must be a JSON object");
      return parsed as Record<string, unknown>;
    } catch (error) {
      throw new Error(`Adapter configuration: ${(error as Error).message}`);
    }
  }
  const config: Record<string, unknown> = { ...v.preserved };
  const text = (key: string, value: string) => {
    if (value.trim()) config[key] = value.trim();
  };
  const number = (key: string, value: string) => {
    if (value.trim()) config[key] = num(value);
  };
  if (type === "process") {
    config.command = v.command.trim();
    const args = splitArgs(v.args);
    if (args.length) config.args = args;
    text("cwd", v.cwd);
    number("timeoutSec", v.timeoutSec);
    return config;
  }
  if (type === "http") {
    config.url = v.url.trim();
    if (v.timeoutSec.trim()) config.timeoutMs = Math.round(num(v.timeoutSec) * 1000);
    return config;
  }
  config.command = v.command.trim() || DEFAULT_COMMANDS[type] || "";
  text("cwd", v.cwd);
  text("model", v.model);
  if (type === "claude_local") {
    text("effort", v.effort);
    number("maxTurns", v.maxTurns);
    text("permissionMode", v.permissionMode);
  } else if (type === "codex_local") {
    text("reasoningEffort", v.reasoningEffort);
    if (v.sandbox) {
      config.sandbox = v.sandbox;
      config.bypassApprovalsAndSandbox = false;
    }
  } else if (type === "acp_local") {
    const args = splitArgs(v.args);
    if (args.length) config.args = args;
  }
  number("timeoutSec", v.timeoutSec);
  const envName = API_KEY_ENV[type];
  if (!envName) return config;
  const env = isRecord(config.env) ? { ...config.env } : {};
  if (v.apiKey.trim()) env[envName] = { type: "secret", value: v.apiKey.trim() };
  // A masked entry or a reference to a company secret sent back unchanged keeps what is stored.
  else if (!(v.apiKeyMasked && (isMaskedSecret(env[envName]) || isSecretRef(env[envName])))) delete env[envName];
  if (Object.keys(env).length) config.env = env;
  else delete config.env;
  return config;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === "object" && !Array.isArray(value);
}

/** A reference to a company secret (the Secrets page): `{type: "secret_ref", secretId}`. */
export function isSecretRef(value: unknown): value is { type: "secret_ref"; secretId: string } {
  return isRecord(value) && value.type === "secret_ref" && typeof value.secretId === "string";
}

/** A secret env entry as the API returns it: `{type: "secret", masked: true, fingerprint}`. */
export function isMaskedSecret(value: unknown): value is { type: "secret"; masked: true; fingerprint: string } {
  return isRecord(value) && value.type === "secret" && value.masked === true;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : "";
}

/** adapterConfig -> form values (the inverse of buildAdapterConfig for the fields the form knows). */
export function valuesFromConfig(type: string, config: Record<string, unknown>): Partial<AdapterValues> {
  if (!isKnown(type)) return { adapterType: type, configJson: JSON.stringify(config, null, 2), preserved: {} };
  const owned = OWNED[type]!;
  const preserved: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(config)) if (!owned.includes(k)) preserved[k] = val;
  const base: Partial<AdapterValues> = {
    adapterType: type,
    preserved,
    command: str(config.command),
    cwd: str(config.cwd),
    timeoutSec: str(config.timeoutSec),
  };
  if (type === "process") return { ...base, args: Array.isArray(config.args) ? joinArgs(config.args.map(String)) : "" };
  if (type === "http") {
    const ms = typeof config.timeoutMs === "number" ? config.timeoutMs : null;
    return { ...base, url: str(config.url), timeoutSec: ms === null ? "" : String(ms / 1000) };
  }
  if (type === "acp_local") {
    return { ...base, model: str(config.model), args: Array.isArray(config.args) ? joinArgs(config.args.map(String)) : "" };
  }
  const envName = API_KEY_ENV[type];
  if (!envName) return { ...base, model: str(config.model) };
  const env = isRecord(config.env) ? config.env : {};
  const key = env[envName];
  const apiKey = typeof key === "string" ? key : isRecord(key) ? str(key.value) : "";
  const apiKeyMasked = isMaskedSecret(key) ? str(key.fingerprint) || "set" : isSecretRef(key) ? `company secret ${key.secretId}` : "";
  const out: Partial<AdapterValues> = { ...base, model: str(config.model), apiKey, apiKeyMasked };
  if (type === "claude_local")
    return { ...out, effort: str(config.effort), maxTurns: str(config.maxTurns), permissionMode: str(config.permissionMode) };
  if (type !== "codex_local") return out;
  return {
    ...out,
    reasoningEffort: str(config.reasoningEffort),
    sandbox: config.bypassApprovalsAndSandbox === true ? "" : str(config.sandbox),
  };
}

/** Changing the adapter type: offer the new type's default command when the old one was a default. */
export function switchAdapterType<T extends AdapterValues>(values: T, type: string): T {
  const defaults = ["", "/bin/sh", ...Object.values(DEFAULT_COMMANDS)];
  const next = { ...values, adapterType: type, preserved: {}, apiKeyMasked: "" };
  if (DEFAULT_COMMANDS[type] && defaults.includes(values.command.trim())) next.command = DEFAULT_COMMANDS[type]!;
  else if (type === "process" && Object.values(DEFAULT_COMMANDS).includes(values.command.trim())) next.command = "/bin/sh";
  else if (type === "acp_local" && defaults.includes(values.command.trim())) next.command = "";
  return next;
}

/** Model suggestions from GET .../adapters/:type/models: an array of strings or {id|name|label}, or {models: [...]}. */
export function modelOptions(data: unknown): { id: string; label: string }[] {
  const list = Array.isArray(data) ? data : isRecord(data) && Array.isArray(data.models) ? data.models : [];
  const out: { id: string; label: string }[] = [];
  const seen = new Set<string>();
  for (const item of list as unknown[]) {
    let id = "";
    let label = "";
    if (typeof item === "string") id = item;
    else if (isRecord(item)) {
      id = str(item.id) || str(item.name) || str(item.model) || str(item.slug);
      label = str(item.label) || str(item.displayName) || str(item.display_name) || str(item.name);
    }
    id = id.trim();
    if (!id || seen.has(id)) continue;
    seen.add(id);
    out.push({ id, label: label && label !== id ? label : "" });
  }
  return out;
}

/** The note that may come with a model list ({models, note}). */
export function modelNote(data: unknown): string {
  return isRecord(data) && typeof data.note === "string" ? data.note : "";
}
