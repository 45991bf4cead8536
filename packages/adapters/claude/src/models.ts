export interface ClaudeModelInfo {
  id: string;
  label: string;
}

export interface ClaudeModelList {
  models: ClaudeModelInfo[];
  note: string;
}

/**
 * Model names known to Claude Code 2.1.330 (aliases and full ids found in that build's model tables).
 * Static: nothing is asked of the CLI or the API. `--model` also takes any other alias or full model name.
 */
const KNOWN_MODELS: ClaudeModelInfo[] = [
  { id: "opus", label: "Opus (latest, alias)" },
  { id: "sonnet", label: "Sonnet (latest, alias)" },
  { id: "haiku", label: "Haiku (latest, alias)" },
  { id: "fable", label: "Fable (latest, alias)" },
  { id: "best", label: "Best available (alias)" },
  { id: "claude-opus-5-5", label: "Claude Opus 5.5" },
  { id: "claude-sonnet-5-5", label: "Claude Sonnet 5.5" },
  { id: "claude-haiku-5-5", label: "Claude Haiku 5.5" },
  { id: "claude-fable-5-2", label: "Claude Fable 5.2" },
  { id: "claude-opus-4-8", label: "Claude Opus 4.8" },
  { id: "claude-sonnet-4-6", label: "Claude Sonnet 4.6" },
  { id: "claude-haiku-4-5", label: "Claude Haiku 4.5" },
];

export async function listClaudeModels(): Promise<ClaudeModelList> {
  return {
    models: KNOWN_MODELS.map((m) => ({ ...m })),
    note: "Static list (Claude Code 2.1.330). adapterConfig.model accepts any alias or full model name the installed CLI knows; unset uses the CLI's default.",
  };
}
