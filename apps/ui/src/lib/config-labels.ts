import { isMaskedSecret, isSecretRef } from "./adapter-config.js";
import { joinArgs } from "./format.js";

/** What each adapter type is called on the board. */
export const ADAPTER_TYPE_LABELS: Record<string, string> = {
  process: "Local command",
  http: "HTTP webhook",
  claude_local: "Claude Code (local)",
  codex_local: "Codex (local)",
  gemini_local: "Gemini CLI (local)",
  opencode_local: "OpenCode (local)",
  cursor: "Cursor agent",
  acp_local: "ACP agent (local)",
};

/** The labels of the adapter configuration keys the board knows (the agent form's wording). */
export const CONFIG_FIELD_LABELS: Record<string, string> = {
  command: "Command",
  args: "Arguments",
  extraArgs: "Extra arguments",
  cwd: "Working directory",
  timeoutSec: "Timeout",
  timeoutMs: "Timeout",
  graceSec: "Grace period",
  url: "URL",
  method: "HTTP method",
  headers: "Headers",
  model: "Model",
  effort: "Effort",
  maxTurns: "Max turns",
  permissionMode: "Permission mode",
  reasoningEffort: "Reasoning effort",
  sandbox: "Sandbox",
  bypassApprovalsAndSandbox: "Bypass approvals and sandbox",
  instructionsFilePath: "Instructions file",
  promptTemplate: "Prompt template",
  env: "Environment",
};

export function adapterTypeLabel(type: string): string {
  return ADAPTER_TYPE_LABELS[type] ?? type;
}

/** "maxTurns" → "Max turns", "some_key" → "Some key": the fallback for keys without a label. */
export function labelOfKey(key: string): string {
  if (CONFIG_FIELD_LABELS[key]) return CONFIG_FIELD_LABELS[key];
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export type ConfigField = { key: string; label: string; value: string; mono: boolean };

const SECRET_TEXT = "Secret (set)";

function valueText(key: string, value: unknown): { value: string; mono: boolean } {
  if (isMaskedSecret(value)) return { value: `${SECRET_TEXT}, fingerprint ${value.fingerprint}`, mono: false };
  if (isSecretRef(value)) return { value: "From a company secret", mono: false };
  // Any other secret-typed entry: never its value.
  if (value && typeof value === "object" && (value as { type?: unknown }).type === "secret") return { value: SECRET_TEXT, mono: false };
  if (value === null || value === undefined || value === "") return { value: "—", mono: false };
  if (typeof value === "boolean") return { value: value ? "Yes" : "No", mono: false };
  if (typeof value === "number") {
    if (key === "timeoutSec" || key === "graceSec")
      return { value: value === 0 ? "None" : `${value.toLocaleString("en-US")} s`, mono: false };
    if (key === "timeoutMs") return { value: value === 0 ? "None" : `${value.toLocaleString("en-US")} ms`, mono: false };
    return { value: value.toLocaleString("en-US"), mono: false };
  }
  if (typeof value === "string")
    return { value, mono: key === "command" || key === "cwd" || key === "url" || key === "instructionsFilePath" };
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return { value: joinArgs(value), mono: true };
  return { value: JSON.stringify(value), mono: true };
}

/**
 * An adapter configuration as labelled fields, in the form's order: known keys first, the rest
 * after. Environment variables are one field each; secret values never show (only that one is set).
 */
export function describeAdapterConfig(config: Record<string, unknown>): ConfigField[] {
  const order = Object.keys(CONFIG_FIELD_LABELS);
  const keys = Object.keys(config).sort((a, b) => {
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    return (ia < 0 ? order.length : ia) - (ib < 0 ? order.length : ib) || a.localeCompare(b);
  });
  const fields: ConfigField[] = [];
  for (const key of keys) {
    const value = config[key];
    if (key === "env" && value && typeof value === "object" && !Array.isArray(value)) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) fields.push({ key, label: "Environment", value: "None", mono: false });
      for (const [name, v] of entries) fields.push({ key: `env.${name}`, label: `Environment: ${name}`, ...valueText("env", v) });
      continue;
    }
    if (key === "headers" && value && typeof value === "object" && !Array.isArray(value)) {
      for (const [name, v] of Object.entries(value as Record<string, unknown>))
        fields.push({ key: `headers.${name}`, label: `Header: ${name}`, ...valueText("headers", v) });
      continue;
    }
    fields.push({ key, label: labelOfKey(key), ...valueText(key, value) });
  }
  return fields;
}
