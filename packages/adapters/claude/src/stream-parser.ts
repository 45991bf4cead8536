import type { AdapterEvent } from "@staple/adapter-kit";
import { NdjsonLineSplitter } from "./line-splitter.js";
import { salvageOversizedLine } from "./oversized-line.js";
import {
  DIAGNOSTIC_TAIL_CHARS,
  ERROR_TEXT_CHARS,
  EVENT_PREVIEW_CHARS,
  EVENT_TEXT_CHARS,
  MAX_ERROR_TEXTS,
  SUMMARY_CHARS,
  appendTail,
  previewJson,
  truncateEnd,
  truncateMiddle,
} from "./text-limits.js";

/**
 * Incremental parser of `claude --output-format stream-json --verbose` output (NDJSON).
 *
 * Line types handled (format checked against Claude Code 2.1.330, see the package README):
 * - `{"type":"system","subtype":"init","session_id","model","cwd","permissionMode","claude_code_version",…}`
 * - `{"type":"assistant","message":{"content":[{"type":"text","text"}|{"type":"tool_use","id","name","input"}]},
 *    "session_id", "error"?: "authentication_failed"|"rate_limit"|…}` (API failures come as a synthetic
 *    assistant message with `error` set and the error text as its text block)
 * - `{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id","content","is_error"}]}}`
 * - `{"type":"rate_limit_event","rate_limit_info":{"status","resetsAt" (epoch s),"rateLimitType"}}`
 * - `{"type":"result","subtype":"success"|"error_max_turns"|"error_during_execution"|…,"is_error","result",
 *    "errors"?, "session_id","total_cost_usd","usage":{input_tokens,cache_read_input_tokens,output_tokens,…},
 *    "num_turns","api_error_status"?}`
 * Other lines are ignored here (they still reach the raw log); text that is not JSON is kept as a tail
 * for error classification.
 *
 * Invariants: memory is bounded whatever the output size (lines via NdjsonLineSplitter, every kept text
 * by the limits in text-limits.ts); a malformed line never throws; events come out in stream order.
 */

export interface ClaudeUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
}

export interface ClaudeResultInfo {
  subtype: string | null;
  isError: boolean;
  /** The result text, cut to SUMMARY_CHARS (start and end kept). */
  text: string | null;
  errors: string[];
  usage: ClaudeUsage | null;
  costUsd: number | null;
  numTurns: number | null;
  durationMs: number | null;
  stopReason: string | null;
  terminalReason: string | null;
  apiErrorStatus: number | null;
  sessionId: string | null;
  /** Set when the line was too long to parse whole (its length in chars). */
  truncatedChars: number | null;
}

export interface ClaudeRateLimit {
  status: string;
  /** Epoch seconds. */
  resetsAt: number | null;
  rateLimitType: string | null;
}

export interface ClaudeApiError {
  /** The assistant message's `error` code, e.g. "authentication_failed", "rate_limit". */
  code: string | null;
  text: string;
}

export interface ClaudeStreamState {
  /** From system/init (the session this run writes to). */
  initSessionId: string | null;
  model: string | null;
  result: ClaudeResultInfo | null;
  /** The latest assistant text (bounded), the summary when no result arrives. */
  lastAssistantText: string | null;
  apiErrors: ClaudeApiError[];
  /** The latest rate-limit report that was not "allowed". */
  rateLimit: ClaudeRateLimit | null;
  nonJsonTail: string;
  lines: number;
  oversizedLines: number;
  toolUses: number;
}

export class ClaudeStreamParser {
  readonly state: ClaudeStreamState = {
    initSessionId: null,
    model: null,
    result: null,
    lastAssistantText: null,
    apiErrors: [],
    rateLimit: null,
    nonJsonTail: "",
    lines: 0,
    oversizedLines: 0,
    toolUses: 0,
  };
  private readonly splitter: NdjsonLineSplitter;

  constructor(options: { maxLineChars?: number; fragmentChars?: number } = {}) {
    this.splitter = new NdjsonLineSplitter(options.maxLineChars, options.fragmentChars);
  }

  /** Feeds a stdout chunk; returns the events of the lines it completed. */
  push(chunk: string): AdapterEvent[] {
    return this.splitter.push(chunk).flatMap((line) => this.onLine(line));
  }

  /** Flushes an unterminated last line. */
  end(): AdapterEvent[] {
    return this.splitter.end().flatMap((line) => this.onLine(line));
  }

  /** The session the run used: init's, else the one the result names. */
  get sessionId(): string | null {
    return this.state.initSessionId ?? this.state.result?.sessionId ?? null;
  }

  get bufferedChars(): number {
    return this.splitter.bufferedChars;
  }

  private onLine(line: ReturnType<NdjsonLineSplitter["push"]>[number]): AdapterEvent[] {
    let message: Record<string, unknown> | null;
    if (line.kind === "oversized") {
      this.state.lines++;
      this.state.oversizedLines++;
      message = salvageOversizedLine(line.head, line.tail, line.length);
      if (message === null) return [];
    } else {
      const text = line.text.trim();
      if (text === "") return [];
      this.state.lines++;
      message = parseObject(text);
      if (message === null) {
        this.state.nonJsonTail = appendTail(this.state.nonJsonTail, `${text}\n`, DIAGNOSTIC_TAIL_CHARS);
        return [];
      }
    }
    return this.interpret(message);
  }

  private interpret(msg: Record<string, unknown>): AdapterEvent[] {
    switch (msg.type) {
      case "system":
        return msg.subtype === "init" ? this.onInit(msg) : [];
      case "assistant":
        return this.onAssistant(msg);
      case "user":
        return this.onUser(msg);
      case "rate_limit_event":
        return this.onRateLimit(msg);
      case "result":
        return this.onResult(msg);
      default:
        return [];
    }
  }

  private onInit(msg: Record<string, unknown>): AdapterEvent[] {
    const sessionId = str(msg.session_id);
    if (sessionId !== null) this.state.initSessionId = sessionId;
    this.state.model = str(msg.model) ?? this.state.model;
    const payload = {
      sessionId,
      model: str(msg.model),
      cwd: str(msg.cwd),
      permissionMode: str(msg.permissionMode),
      claudeCodeVersion: str(msg.claude_code_version),
      apiKeySource: str(msg.apiKeySource),
      tools: Array.isArray(msg.tools) ? msg.tools.length : null,
    };
    return [{ eventType: "system.init", message: `session ${sessionId ?? "?"}, model ${payload.model ?? "?"}`, payload }];
  }

  private onAssistant(msg: Record<string, unknown>): AdapterEvent[] {
    const events: AdapterEvent[] = [];
    const truncated = typeof msg.truncatedChars === "number" ? { truncatedChars: msg.truncatedChars } : {};
    const errorCode = str(msg.error);
    const isApiError = errorCode !== null || msg.is_api_error_message === true || msg.isApiErrorMessage === true;
    for (const block of contentBlocks(msg)) {
      if (block.type === "text" && typeof block.text === "string") {
        if (isApiError) this.pushApiError(errorCode, block.text);
        else this.state.lastAssistantText = truncateMiddle(block.text, SUMMARY_CHARS);
        events.push({
          eventType: "assistant.text",
          message: truncateEnd(block.text, EVENT_TEXT_CHARS),
          payload: { chars: block.text.length, ...(isApiError ? { apiError: errorCode ?? true } : {}), ...truncated },
        });
      } else if (block.type === "tool_use") {
        this.state.toolUses++;
        const name = str(block.name) ?? "?";
        events.push({ eventType: "tool.use", message: name, payload: { id: str(block.id), name, input: previewJson(block.input) } });
      }
    }
    if (isApiError && events.length === 0) this.pushApiError(errorCode, errorCode ?? "API error");
    return events;
  }

  private onUser(msg: Record<string, unknown>): AdapterEvent[] {
    const events: AdapterEvent[] = [];
    for (const block of contentBlocks(msg)) {
      if (block.type !== "tool_result") continue;
      const content = toolResultText(block.content);
      const isError = block.is_error === true;
      events.push({
        eventType: "tool.result",
        message: truncateEnd(content, EVENT_PREVIEW_CHARS),
        payload: { toolUseId: str(block.tool_use_id), isError, chars: content.length },
      });
    }
    return events;
  }

  private onRateLimit(msg: Record<string, unknown>): AdapterEvent[] {
    const info = asObject(msg.rate_limit_info);
    if (info === null) return [];
    const limit: ClaudeRateLimit = {
      status: str(info.status) ?? "unknown",
      resetsAt: num(info.resetsAt),
      rateLimitType: str(info.rateLimitType),
    };
    if (limit.status !== "allowed") this.state.rateLimit = limit;
    return [
      { eventType: "rate_limit", message: `${limit.status}${limit.rateLimitType ? ` (${limit.rateLimitType})` : ""}`, payload: limit },
    ];
  }

  private onResult(msg: Record<string, unknown>): AdapterEvent[] {
    const usage = asObject(msg.usage);
    const text = typeof msg.result === "string" ? msg.result : null;
    const errors = Array.isArray(msg.errors)
      ? msg.errors.slice(0, MAX_ERROR_TEXTS).map((e) => truncateEnd(errorText(e), ERROR_TEXT_CHARS))
      : [];
    const result: ClaudeResultInfo = {
      subtype: str(msg.subtype),
      isError: msg.is_error === true,
      text: text === null ? null : truncateMiddle(text, SUMMARY_CHARS),
      errors,
      usage:
        usage === null
          ? null
          : {
              inputTokens: num(usage.input_tokens) ?? 0,
              cachedInputTokens: num(usage.cache_read_input_tokens) ?? 0,
              outputTokens: num(usage.output_tokens) ?? 0,
              cacheCreationInputTokens: num(usage.cache_creation_input_tokens) ?? 0,
            },
      costUsd: num(msg.total_cost_usd),
      numTurns: num(msg.num_turns),
      durationMs: num(msg.duration_ms),
      stopReason: str(msg.stop_reason),
      terminalReason: str(msg.terminal_reason),
      apiErrorStatus: num(msg.api_error_status),
      sessionId: str(msg.session_id),
      truncatedChars: num(msg.truncatedChars),
    };
    this.state.result = result;
    const { text: _text, ...payload } = result;
    return [{ eventType: "result", message: truncateEnd(text ?? errors.join("\n"), EVENT_TEXT_CHARS), payload }];
  }

  private pushApiError(code: string | null, text: string): void {
    this.state.apiErrors.push({ code, text: truncateEnd(text, ERROR_TEXT_CHARS) });
    if (this.state.apiErrors.length > MAX_ERROR_TEXTS) this.state.apiErrors.shift();
  }
}

function parseObject(text: string): Record<string, unknown> | null {
  if (!text.startsWith("{")) return null;
  try {
    return asObject(JSON.parse(text));
  } catch {
    return null;
  }
}

function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function contentBlocks(msg: Record<string, unknown>): Array<Record<string, unknown>> {
  const content = asObject(msg.message)?.content;
  return Array.isArray(content) ? content.map(asObject).filter((b): b is Record<string, unknown> => b !== null) : [];
}

/** A tool result's content as text: a string, or the text blocks of an array (other blocks named). */
function toolResultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((item) => {
      const block = asObject(item);
      if (block === null) return "";
      return typeof block.text === "string" ? block.text : `[${str(block.type) ?? "block"}]`;
    })
    .join("\n");
}

function errorText(entry: unknown): string {
  if (typeof entry === "string") return entry;
  const obj = asObject(entry);
  const message = obj ? (str(obj.message) ?? str(obj.error)) : null;
  if (message !== null) return message;
  try {
    return JSON.stringify(entry) ?? "";
  } catch {
    return "";
  }
}

function str(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}
