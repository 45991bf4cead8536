import type { AdapterEvent, AdapterUsage } from "@staple/adapter-kit";

/**
 * Parsing of `codex exec --json` output: one JSON object per stdout line (codex-rs/exec exec_events.rs,
 * checked against the strings and a live offline run of codex-cli 0.169.0):
 *   {"type":"thread.started","thread_id":"<uuid>"}
 *   {"type":"turn.started"}
 *   {"type":"item.started"|"item.updated"|"item.completed","item":{"id":"item_0","type":"<item type>",...}}
 *   {"type":"turn.completed","usage":{"input_tokens":N,"cached_input_tokens":N,"output_tokens":N}}
 *   {"type":"turn.failed","error":{"message":"..."}}
 *   {"type":"error","message":"..."}            (also emitted for retried errors, e.g. "Reconnecting... 2/5 (...)")
 * Item types: agent_message{text}, reasoning{text}, plan{text}, command_execution{command, aggregated_output,
 * exit_code, status}, file_change{changes[{path, kind}], status}, mcp_tool_call{server, tool, arguments, result,
 * error, status}, collab_tool_call, web_search{query}, todo_list{items[{text, completed}]}, error{message}.
 *
 * Invariants:
 * - Memory is bounded whatever the child prints: a line longer than `maxLineChars` is dropped (counted in
 *   `skippedLines`), the summary, messages, error lists and event payloads are all capped.
 * - Unknown event and item types are tolerated (newer CLIs add some); non-JSON lines are kept (bounded) as text.
 * - Reported events never carry more than the raw line already did, and are capped in size.
 */

export const DEFAULT_MAX_LINE_CHARS = 1024 * 1024;
export const MAX_SUMMARY_CHARS = 32 * 1024;
export const MAX_EVENT_MESSAGE_CHARS = 8 * 1024;
const MAX_PAYLOAD_STRING_CHARS = 4 * 1024;
const MAX_KEPT_MESSAGES = 20;
const MAX_KEPT_MESSAGE_CHARS = 2 * 1024;
const TRUNCATED = "…[truncated]";

/** Item types that are tool activity (reported as tool.use / tool.result). */
export const TOOL_ITEM_TYPES = new Set(["command_execution", "file_change", "mcp_tool_call", "web_search", "collab_tool_call"]);

export type ParsedLine = { kind: "event"; type: string; event: Record<string, unknown> } | { kind: "text"; text: string };

/** Parses one complete line (without its newline). Blank lines give null. */
export function parseCodexLine(line: string): ParsedLine | null {
  const trimmed = line.trim();
  if (trimmed === "") return null;
  if (trimmed.startsWith("{")) {
    try {
      const value: unknown = JSON.parse(trimmed);
      if (isRecord(value) && typeof value.type === "string") return { kind: "event", type: value.type, event: value };
    } catch {
      // Not JSON after all: fall through to text.
    }
  }
  return { kind: "text", text: trimmed };
}

/** Splits a chunked text stream into complete lines; a line over `maxLineChars` is dropped, not buffered. */
export class LineSplitter {
  private partial = "";
  private discarding = false;
  skippedLines = 0;

  constructor(private readonly maxLineChars: number = DEFAULT_MAX_LINE_CHARS) {}

  push(chunk: string): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf("\n", start);
      if (nl === -1) break;
      const piece = chunk.slice(start, nl);
      if (this.discarding) {
        this.discarding = false;
      } else if (this.partial.length + piece.length > this.maxLineChars) {
        this.skippedLines++;
      } else {
        lines.push(this.partial + piece);
      }
      this.partial = "";
      start = nl + 1;
    }
    const rest = chunk.slice(start);
    if (!this.discarding && rest !== "") {
      if (this.partial.length + rest.length > this.maxLineChars) {
        this.partial = "";
        this.discarding = true;
        this.skippedLines++;
      } else {
        this.partial += rest;
      }
    }
    return lines;
  }

  /** The unterminated last line, if any (call once at end of stream). */
  end(): string[] {
    const rest = this.partial;
    this.partial = "";
    this.discarding = false;
    return rest === "" ? [] : [rest];
  }
}

export interface CodexRunState {
  sessionId: string | null;
  /** Text of the last agent_message (falls back to the last plan item), capped. */
  summary: string | null;
  /** From the last turn.completed. */
  usage: AdapterUsage | null;
  turnStarted: boolean;
  turnCompleted: boolean;
  turnFailed: boolean;
  /** Message of the last turn.failed. */
  turnFailedMessage: string | null;
  /** Messages of `error` events (most recent last, bounded). */
  streamErrors: string[];
  /** Non-JSON stdout lines (most recent last, bounded). */
  textLines: string[];
  toolCalls: number;
  events: number;
}

export function emptyRunState(): CodexRunState {
  return {
    sessionId: null,
    summary: null,
    usage: null,
    turnStarted: false,
    turnCompleted: false,
    turnFailed: false,
    turnFailedMessage: null,
    streamErrors: [],
    textLines: [],
    toolCalls: 0,
    events: 0,
  };
}

/**
 * Folds parsed lines into a run state and returns the structured events to report for each line.
 * Stateful only through `state`; the same input always yields the same events.
 */
export class CodexRunAccumulator {
  readonly state: CodexRunState = emptyRunState();
  private planText: string | null = null;
  private readonly completedTools = new Set<string>();

  apply(line: ParsedLine): AdapterEvent[] {
    if (line.kind === "text") {
      keepBounded(this.state.textLines, line.text);
      return [];
    }
    this.state.events++;
    const { type, event } = line;
    switch (type) {
      case "thread.started": {
        const id = event.thread_id;
        if (typeof id !== "string" || id === "") return [];
        this.state.sessionId = id;
        return [{ eventType: "session.started", message: `Codex thread ${id}`, payload: { sessionId: id } }];
      }
      case "turn.started":
        this.state.turnStarted = true;
        return [];
      case "turn.completed": {
        this.state.turnCompleted = true;
        const usage = parseUsage(event.usage);
        if (usage) this.state.usage = usage;
        if (this.state.summary === null && this.planText !== null) this.state.summary = this.planText;
        return [{ eventType: "result", message: "Turn completed", payload: { usage: usage ?? null } }];
      }
      case "turn.failed": {
        const message = messageOf(isRecord(event.error) ? event.error.message : undefined) ?? "turn failed";
        this.state.turnFailed = true;
        this.state.turnFailedMessage = cap(message, MAX_KEPT_MESSAGE_CHARS);
        return [{ eventType: "error", message: cap(message, MAX_EVENT_MESSAGE_CHARS), payload: { source: "turn.failed" } }];
      }
      case "error": {
        const message = messageOf(event.message) ?? "error";
        keepBounded(this.state.streamErrors, message);
        return [{ eventType: "stream.error", message: cap(message, MAX_EVENT_MESSAGE_CHARS) }];
      }
      case "item.started":
      case "item.updated":
      case "item.completed":
        return isRecord(event.item) ? this.applyItem(type.slice("item.".length) as ItemPhase, event.item) : [];
      case "request_user_input":
        return [{ eventType: "user_input.requested", message: "Codex asked for user input", payload: boundedClone(event) }];
      default:
        return [];
    }
  }

  private applyItem(phase: ItemPhase, item: Record<string, unknown>): AdapterEvent[] {
    const itemType = typeof item.type === "string" ? item.type : "unknown";
    const itemId = typeof item.id === "string" ? item.id : null;
    switch (itemType) {
      case "agent_message": {
        const text = typeof item.text === "string" ? item.text : null;
        if (phase !== "completed" || text === null) return [];
        this.state.summary = capSummary(text);
        return [{ eventType: "assistant.text", message: cap(text, MAX_EVENT_MESSAGE_CHARS), payload: { itemId } }];
      }
      case "reasoning": {
        const text = typeof item.text === "string" ? item.text : null;
        if (phase !== "completed" || text === null) return [];
        return [{ eventType: "assistant.thinking", message: cap(text, MAX_EVENT_MESSAGE_CHARS), payload: { itemId } }];
      }
      case "plan": {
        const text = typeof item.text === "string" ? item.text : null;
        if (phase !== "completed" || text === null) return [];
        this.planText = capSummary(text);
        return [{ eventType: "assistant.plan", message: cap(text, MAX_EVENT_MESSAGE_CHARS), payload: { itemId } }];
      }
      case "todo_list": {
        const items = Array.isArray(item.items) ? item.items.filter(isRecord) : [];
        const text = items.map((t) => `[${t.completed === true ? "x" : " "}] ${String(t.text ?? "")}`).join("\n");
        return [
          {
            eventType: "plan.updated",
            message: cap(text, MAX_EVENT_MESSAGE_CHARS),
            payload: { itemId, phase, items: boundedClone(items) },
          },
        ];
      }
      case "error": {
        const message = messageOf(item.message) ?? "error";
        return [{ eventType: "warning", message: cap(message, MAX_EVENT_MESSAGE_CHARS), payload: { itemId } }];
      }
      default:
        break;
    }
    const payload = { itemId, itemType, phase, ...describeToolItem(itemType, item) };
    if (TOOL_ITEM_TYPES.has(itemType)) {
      if (phase === "started")
        return [{ eventType: "tool.use", message: cap(toolUseText(itemType, item), MAX_EVENT_MESSAGE_CHARS), payload }];
      if (phase === "completed") {
        if (itemId === null || !this.completedTools.has(itemId)) this.state.toolCalls++;
        if (itemId !== null) this.completedTools.add(itemId);
        return [{ eventType: "tool.result", message: cap(toolResultText(itemType, item), MAX_EVENT_MESSAGE_CHARS), payload }];
      }
      return [];
    }
    // An item type this adapter does not know yet: report completions generically.
    if (phase !== "completed") return [];
    return [{ eventType: "item", message: `${itemType} completed`, payload: { itemId, itemType, item: boundedClone(item) } }];
  }
}

type ItemPhase = "started" | "updated" | "completed";

/** Parses a whole JSONL text at once (tests, replays). */
export function reduceCodexOutput(text: string): { state: CodexRunState; events: AdapterEvent[] } {
  const splitter = new LineSplitter();
  const acc = new CodexRunAccumulator();
  const events: AdapterEvent[] = [];
  for (const line of [...splitter.push(text), ...splitter.end()]) {
    const parsed = parseCodexLine(line);
    if (parsed) events.push(...acc.apply(parsed));
  }
  return { state: acc.state, events };
}

/** `{input_tokens, cached_input_tokens, output_tokens}` -> AdapterUsage; null when no count is usable. */
export function parseUsage(value: unknown): AdapterUsage | null {
  if (!isRecord(value)) return null;
  const input = count(value.input_tokens);
  const output = count(value.output_tokens);
  const cached = count(value.cached_input_tokens);
  if (input === null && output === null && cached === null) return null;
  const usage: AdapterUsage = { inputTokens: input ?? 0, outputTokens: output ?? 0 };
  if (cached !== null) usage.cachedInputTokens = cached;
  return usage;
}

function count(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.floor(value) : null;
}

function describeToolItem(itemType: string, item: Record<string, unknown>): Record<string, unknown> {
  switch (itemType) {
    case "command_execution":
      return {
        command: capOrNull(item.command),
        status: item.status ?? null,
        exitCode: typeof item.exit_code === "number" ? item.exit_code : null,
        // The end of a command's output is usually what explains it.
        output: typeof item.aggregated_output === "string" ? capTail(item.aggregated_output, MAX_PAYLOAD_STRING_CHARS) : null,
      };
    case "file_change":
      return { status: item.status ?? null, changes: boundedClone(Array.isArray(item.changes) ? item.changes : []) };
    case "mcp_tool_call":
      return {
        server: capOrNull(item.server),
        tool: capOrNull(item.tool),
        status: item.status ?? null,
        arguments: boundedClone(item.arguments ?? null),
        error: isRecord(item.error) ? capOrNull(item.error.message) : null,
        result: boundedClone(item.result ?? null),
      };
    case "web_search":
      return { query: capOrNull(item.query), action: boundedClone(item.action ?? null) };
    default:
      return { item: boundedClone(item) };
  }
}

function toolUseText(itemType: string, item: Record<string, unknown>): string {
  switch (itemType) {
    case "command_execution":
      return `$ ${String(item.command ?? "")}`;
    case "file_change":
      return `edit ${changeList(item)}`;
    case "mcp_tool_call":
      return `${String(item.server ?? "?")}.${String(item.tool ?? "?")}`;
    case "web_search":
      return `web search: ${String(item.query ?? "")}`;
    default:
      return itemType;
  }
}

function toolResultText(itemType: string, item: Record<string, unknown>): string {
  const status = typeof item.status === "string" ? item.status : "completed";
  switch (itemType) {
    case "command_execution":
      return typeof item.exit_code === "number"
        ? `$ ${String(item.command ?? "")} -> exit ${item.exit_code}`
        : `$ ${String(item.command ?? "")} -> ${status}`;
    case "file_change":
      return `${status}: ${changeList(item)}`;
    case "mcp_tool_call": {
      const error = isRecord(item.error) && typeof item.error.message === "string" ? `: ${item.error.message}` : "";
      return `${String(item.server ?? "?")}.${String(item.tool ?? "?")} -> ${status}${error}`;
    }
    case "web_search":
      return `web search done: ${String(item.query ?? "")}`;
    default:
      return `${itemType} -> ${status}`;
  }
}

function changeList(item: Record<string, unknown>): string {
  const changes = Array.isArray(item.changes) ? item.changes.filter(isRecord) : [];
  const shown = changes.slice(0, 20).map((c) => `${String(c.kind ?? "update")} ${String(c.path ?? "?")}`);
  if (changes.length > shown.length) shown.push(`… ${changes.length - shown.length} more`);
  return shown.join(", ");
}

function messageOf(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value : null;
}

function keepBounded(list: string[], message: string): void {
  list.push(cap(message, MAX_KEPT_MESSAGE_CHARS));
  if (list.length > MAX_KEPT_MESSAGES) list.splice(0, list.length - MAX_KEPT_MESSAGES);
}

function capSummary(text: string): string {
  return cap(text, MAX_SUMMARY_CHARS);
}

/** Keeps the head of `text` within `max` characters, marking a cut. */
export function cap(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - TRUNCATED.length))}${TRUNCATED}`;
}

function capTail(text: string, max: number): string {
  return text.length <= max ? text : `${TRUNCATED}${text.slice(text.length - (max - TRUNCATED.length))}`;
}

function capOrNull(value: unknown): string | null {
  return typeof value === "string" ? cap(value, MAX_PAYLOAD_STRING_CHARS) : null;
}

/** A JSON-ish copy with strings, arrays and depth capped, so payloads stay small. */
export function boundedClone(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return cap(value, MAX_PAYLOAD_STRING_CHARS);
  if (value === null || typeof value !== "object") return value;
  if (depth >= 6) return TRUNCATED;
  if (Array.isArray(value)) {
    const out = value.slice(0, 50).map((v) => boundedClone(v, depth + 1));
    if (value.length > 50) out.push(`${TRUNCATED} ${value.length - 50} more`);
    return out;
  }
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [key, v] of Object.entries(value)) {
    if (n++ >= 50) {
      out[TRUNCATED] = true;
      break;
    }
    out[key] = boundedClone(v, depth + 1);
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
