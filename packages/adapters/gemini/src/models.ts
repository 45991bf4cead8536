/**
 * Models offered for `adapterConfig.model`: the ids Gemini CLI 0.61 accepts as valid models, and its
 * aliases. Static on purpose (no network); the CLI accepts other ids, so this is a suggestion list.
 */
export interface GeminiModel {
  id: string;
  label: string;
}

export const GEMINI_MODELS: readonly GeminiModel[] = [
  { id: "auto", label: "Auto (Gemini CLI picks per request)" },
  { id: "gemini-2.5-pro", label: "Gemini 2.5 Pro" },
  { id: "gemini-3-pro-preview", label: "Gemini 3 Pro (preview)" },
  { id: "gemini-3.1-pro-preview", label: "Gemini 3.1 Pro (preview)" },
  { id: "gemini-3.5-flash", label: "Gemini 3.5 Flash" },
  { id: "gemini-3.8-flash", label: "Gemini 3.8 Flash" },
  { id: "gemini-3-flash-preview", label: "Gemini 3 Flash (preview)" },
  { id: "gemini-3.1-flash-lite", label: "Gemini 3.1 Flash Lite" },
  { id: "gemini-3.5-flash-lite", label: "Gemini 3.5 Flash Lite" },
];

export async function listGeminiModels(): Promise<GeminiModel[]> {
  return GEMINI_MODELS.map((m) => ({ ...m }));
}
