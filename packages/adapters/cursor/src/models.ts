/**
 * Models offered for `adapterConfig.model` (`cursor-agent --model`). The account decides what is available
 * (`cursor-agent --list-models` shows it); this static list (no network) suggests common ids.
 */
export interface CursorModel {
  id: string;
  label: string;
}

export const CURSOR_MODELS: readonly CursorModel[] = [
  { id: "auto", label: "Auto (Cursor picks)" },
  { id: "composer-1", label: "Composer 1" },
  { id: "sonnet-4.5", label: "Claude Sonnet 4.5" },
  { id: "sonnet-4.5-thinking", label: "Claude Sonnet 4.5 (thinking)" },
  { id: "opus-4.5", label: "Claude Opus 4.5" },
  { id: "gpt-5.2", label: "GPT-5.2" },
  { id: "gpt-5.2-codex", label: "GPT-5.2 Codex" },
  { id: "gemini-3-pro", label: "Gemini 3 Pro" },
  { id: "grok", label: "Grok" },
];

export async function listCursorModels(): Promise<CursorModel[]> {
  return CURSOR_MODELS.map((m) => ({ ...m }));
}
