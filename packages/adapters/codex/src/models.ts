/**
 * Models offered for `adapterConfig.model`: the models listed (visibility "list") in the model catalog
 * bundled with codex-cli 0.169.0, in the catalog's priority order. Static on purpose (no network, no model
 * call); codex accepts any model id, so this is a suggestion list, not a whitelist.
 */
export interface CodexModel {
  id: string;
  label: string;
}

export const CODEX_MODELS: readonly CodexModel[] = [
  { id: "gpt-6.1-sol", label: "GPT-6.1-Sol" },
  { id: "gpt-6-astra", label: "GPT-6-Astra" },
  { id: "gpt-6-sol", label: "GPT-6-Sol" },
  { id: "gpt-6-luna", label: "GPT-6-Luna" },
  { id: "gpt-5.6-sol", label: "GPT-5.6-Sol" },
  { id: "gpt-6.1-terra", label: "GPT-6.1 Terra" },
  { id: "gpt-5.6-terra", label: "GPT-5.6-Terra" },
  { id: "gpt-5.6-luna", label: "GPT-5.6-Luna" },
  { id: "gpt-5.5", label: "GPT-5.5" },
];

/** Reasoning efforts the bundled catalog lists across models (passed as `-c model_reasoning_effort=<e>`). */
export const CODEX_REASONING_EFFORTS = ["low", "medium", "high", "xhigh", "max", "ultra"] as const;

export async function listCodexModels(): Promise<CodexModel[]> {
  return CODEX_MODELS.map((m) => ({ ...m }));
}
