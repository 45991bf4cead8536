-- Four more agent runtimes: Gemini CLI, OpenCode, Cursor's agent CLI and any Agent Client Protocol agent.
-- The check keeps mirroring ADAPTER_TYPES in packages/contracts (an unknown type is refused by the API first).
ALTER TABLE agents DROP CONSTRAINT agents_adapter_type_check;
ALTER TABLE agents ADD CONSTRAINT agents_adapter_type_check
  CHECK (adapter_type IN ('process', 'http', 'claude_local', 'codex_local', 'gemini_local', 'opencode_local', 'cursor', 'acp_local'));
