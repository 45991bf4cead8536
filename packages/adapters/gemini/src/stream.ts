import { asCount, asRecord, asText, emptyCliRunState, type AdapterEvent, type CliLineParser, type CliRunState } from "@staple/adapter-kit";

/**
 * Reads `gemini --output-format stream-json` (Gemini CLI 0.61), one JSON object per line:
 *   {"type":"init","session_id":"<uuid>","model":"..."}
 *   {"type":"message","role":"user"|"assistant","content":"...","delta":true}   (assistant text arrives in chunks)
 *   {"type":"tool_use","tool_name":"...","tool_id":"...","parameters":{...}}
 *   {"type":"tool_result","tool_id":"...","status":"success"|"error","output":"...","error":{"type","message"}}
 *   {"type":"error","severity":"warning"|"error","message":"..."}
 *   {"type":"result","status":"success"|"error","error":{"type","message"},"stats":{"input_tokens","output_tokens","cached","input",...}}
 * `stats.input_tokens` counts the whole prompt including cached tokens; `stats.input` the uncached part.
 * Gemini CLI reports no cost. Assistant chunks are joined and reported as one `assistant.text` event per
 * turn (flushed by the next non-assistant line).
 */
export class GeminiStreamParser implements CliLineParser {
  readonly state: CliRunState = emptyCliRunState();
  private pending = "";
  private texts: string[] = [];

  apply(line: Record<string, unknown>): AdapterEvent[] {
    const type = asText(line.type);
    if (type === "message") {
      if (asText(line.role) === "assistant") this.pending += asText(line.content);
      return [];
    }
    const events = this.flush();
    switch (type) {
      case "init": {
        const id = asText(line.session_id);
        if (id) this.state.sessionId = id;
        if (asText(line.model)) this.state.model = asText(line.model);
        events.push({
          eventType: "system.init",
          message: `session ${id || "?"}`,
          payload: { sessionId: id || null, model: this.state.model },
        });
        break;
      }
      case "tool_use":
        this.state.toolCalls += 1;
        events.push({
          eventType: "tool.use",
          message: asText(line.tool_name),
          payload: { toolId: asText(line.tool_id) || null, name: asText(line.tool_name), input: line.parameters ?? null },
        });
        break;
      case "tool_result": {
        const status = asText(line.status);
        const error = asText(asRecord(line.error).message);
        events.push({
          eventType: "tool.result",
          message: status === "error" ? error || "tool error" : status || "done",
          payload: { toolId: asText(line.tool_id) || null, status, isError: status === "error", output: truncate(asText(line.output)) },
        });
        break;
      }
      case "error": {
        const message = asText(line.message);
        const severity = asText(line.severity) || "error";
        if (severity === "error" && message) this.state.errors.push(message);
        events.push({ eventType: severity === "error" ? "error" : "warning", message });
        break;
      }
      case "result": {
        this.state.finished = true;
        const status = asText(line.status);
        const errorMessage = asText(asRecord(line.error).message);
        if (status === "error") {
          this.state.failed = true;
          if (errorMessage) this.state.errors.push(errorMessage);
        }
        const stats = asRecord(line.stats);
        const cached = asCount(stats.cached);
        const uncached = typeof stats.input === "number" ? asCount(stats.input) : Math.max(0, asCount(stats.input_tokens) - cached);
        this.state.usage = { inputTokens: uncached, outputTokens: asCount(stats.output_tokens), cachedInputTokens: cached };
        events.push({
          eventType: "result",
          message: status === "error" ? errorMessage || "error" : status || "success",
          payload: { status, usage: this.state.usage, durationMs: asCount(stats.duration_ms), toolCalls: asCount(stats.tool_calls) },
        });
        break;
      }
      default:
        break;
    }
    return events;
  }

  /** The buffered assistant chunks as one event (none when empty). */
  private flush(): AdapterEvent[] {
    const text = this.pending.trim();
    this.pending = "";
    if (!text) return [];
    this.texts.push(text);
    this.state.summary = this.texts.join("\n\n");
    return [{ eventType: "assistant.text", message: text }];
  }

  /** Flushes text left when the stream ended without a result line. */
  end(): AdapterEvent[] {
    return this.flush();
  }
}

function truncate(text: string): string {
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}
