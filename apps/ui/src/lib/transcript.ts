/** One line of a run's NDJSON log. */
export interface LogLine {
  ts: string;
  stream: "stdout" | "stderr" | "system" | string;
  chunk: string;
}

export interface TranscriptBlock {
  stream: string;
  text: string;
}

export function parseLog(content: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const raw of content.split("\n")) {
    if (!raw.trim()) continue;
    try {
      const v = JSON.parse(raw) as Partial<LogLine>;
      if (typeof v.chunk === "string") lines.push({ ts: String(v.ts ?? ""), stream: String(v.stream ?? "stdout"), chunk: v.chunk });
    } catch {
      lines.push({ ts: "", stream: "stdout", chunk: raw + "\n" });
    }
  }
  return lines;
}

/**
 * Pulls readable text out of a structured output line (Claude `stream-json`, Codex `--json`);
 * undefined when the line is not one of those (then it is shown as it is).
 */
function readableJsonLine(line: string): string | null | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return undefined;
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(trimmed) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const type = v.type;
  if (type === "assistant" && v.message && typeof v.message === "object") {
    const content = (v.message as { content?: unknown }).content;
    if (Array.isArray(content)) {
      const parts = content.map((c: { type?: string; text?: string; name?: string }) =>
        c.type === "text" ? (c.text ?? "") : c.type === "tool_use" ? `→ ${c.name ?? "tool"}` : "",
      );
      return parts.filter(Boolean).join("\n") || null;
    }
  }
  if (type === "result" && typeof v.result === "string") return v.result;
  if (type === "item.completed" && v.item && typeof v.item === "object") {
    const item = v.item as { type?: string; text?: string; command?: string };
    if (item.type === "agent_message" && item.text) return item.text;
    if (item.type === "command_execution" && item.command) return `$ ${item.command}`;
    return null;
  }
  if (typeof type === "string") return null; // other structured events: not part of the readable transcript
  return undefined;
}

/**
 * The readable transcript of a run: consecutive chunks of one stream merged into a block;
 * structured JSON output lines reduced to their text.
 */
export function buildTranscript(lines: readonly LogLine[]): TranscriptBlock[] {
  const blocks: TranscriptBlock[] = [];
  let pending = "";
  let pendingStream = "";
  const push = (stream: string, text: string) => {
    if (!text) return;
    const last = blocks[blocks.length - 1];
    if (last && last.stream === stream) last.text += text;
    else blocks.push({ stream, text });
  };
  const flushLines = (stream: string, text: string, final: boolean) => {
    const parts = text.split("\n");
    const rest = final ? "" : parts.pop()!;
    for (const part of final ? parts.filter((p, i) => i < parts.length - 1 || p !== "") : parts) {
      const readable = readableJsonLine(part);
      if (readable === undefined) push(stream, part + "\n");
      else if (readable) push(stream, readable + "\n");
    }
    return rest;
  };
  for (const line of lines) {
    if (line.stream !== pendingStream && pending) {
      flushLines(pendingStream, pending, true);
      pending = "";
    }
    pendingStream = line.stream;
    pending = flushLines(line.stream, pending + line.chunk, false);
  }
  if (pending) flushLines(pendingStream, pending, true);
  for (const b of blocks) b.text = b.text.replace(/\n+$/, "");
  return blocks.filter((b) => b.text.length > 0);
}
