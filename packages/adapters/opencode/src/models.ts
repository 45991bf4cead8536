/**
 * Models offered for `adapterConfig.model` (`provider/model`). OpenCode reaches many providers and lists
 * what the local login can use with `opencode models`; this static list (no network) suggests common ones.
 */
export interface OpenCodeModel {
  id: string;
  label: string;
}

export const OPENCODE_MODELS: readonly OpenCodeModel[] = [
  { id: "anthropic/claude-sonnet-4-5", label: "Claude Sonnet 4.5 (Anthropic)" },
  { id: "anthropic/claude-opus-4-5", label: "Claude Opus 4.5 (Anthropic)" },
  { id: "openai/gpt-5.5", label: "GPT-5.5 (OpenAI)" },
  { id: "openai/gpt-5.5-codex", label: "GPT-5.5 Codex (OpenAI)" },
  { id: "google/gemini-2.5-pro", label: "Gemini 2.5 Pro (Google)" },
  { id: "opencode/grok-code", label: "Grok Code (OpenCode Zen)" },
  { id: "opencode/big-pickle", label: "Big Pickle (OpenCode Zen)" },
];

export async function listOpenCodeModels(): Promise<OpenCodeModel[]> {
  return OPENCODE_MODELS.map((m) => ({ ...m }));
}
