import { asCount, asRecord, asText, emptyCliRunState, type AdapterEvent, type CliLineParser, type CliRunState } from "@staple/adapter-kit";

/**
 * Reads `cursor-agent -p --output-format stream-json` (Cursor's documented output format), one event per line:
 *   {"type":"system","subtype":"init","session_id":"<uuid>","model":"…","cwd":"…","apiKeySource":"login"|"env"}
 *   {"type":"user","message":{"role":"user","content":[{"type":"text","text":"…"}]},"session_id":…}
 *   {"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":"…"}]},"session_id":…}   (one per message)
 *   {"type":"tool_call","subtype":"started"|"completed","call_id":"…","tool_call":{"<kind>ToolCall":{"args":{…},"result":{"success"|"error":{…}}}}}
 *   {"type":"result","subtype":"success"|"error","is_error":false,"result":"<all text>","session_id":…,"duration_ms":…}
 * The documented result carries no usage or cost; newer builds add `usage` ({inputTokens, outputTokens,
 * cacheReadTokens, …}, camelCase or snake_case), which is read when present.
 */
export class CursorStreamParser implements CliLineParser {
  readonly state: CliRunState = emptyCliRunState();
  private texts: string[] = [];

  apply(line: Record<string, unknown>): AdapterEvent[] {
    const sessionId = asText(line.session_id);
    if (sessionId) this.state.sessionId = sessionId;
    switch (asText(line.type)) {
      case "system": {
        if (asText(line.subtype) !== "init") return [];
        if (asText(line.model)) this.state.model = asText(line.model);
        return [
          {
            eventType: "system.init",
            message: `session ${sessionId || "?"}`,
            payload: { sessionId: sessionId || null, model: this.state.model, apiKeySource: asText(line.apiKeySource) || null },
          },
        ];
      }
      case "assistant": {
        const content = asRecord(line.message).content;
        const text = (Array.isArray(content) ? content : [])
          .map((part) => (asText(asRecord(part).type) === "text" ? asText(asRecord(part).text) : ""))
          .join("")
          .trim();
        if (!text) return [];
        this.texts.push(text);
        this.state.summary = this.texts.join("\n\n");
        return [{ eventType: "assistant.text", message: text }];
      }
      case "tool_call": {
        const callId = asText(line.call_id) || null;
        const [kind, body] = Object.entries(asRecord(line.tool_call))[0] ?? ["tool", {}];
        const name = kind.replace(/ToolCall$/, "");
        const call = asRecord(body);
        if (asText(line.subtype) === "started") {
          this.state.toolCalls += 1;
          return [{ eventType: "tool.use", message: name, payload: { toolId: callId, name, input: call.args ?? null } }];
        }
        const result = asRecord(call.result);
        const isError = "error" in result || "failure" in result;
        const detail = JSON.stringify(result.error ?? result.failure ?? result.success ?? null) ?? "";
        return [
          {
            eventType: "tool.result",
            message: isError ? "tool error" : "done",
            payload: { toolId: callId, name, isError, output: detail.length > 2000 ? `${detail.slice(0, 2000)}…` : detail },
          },
        ];
      }
      case "result": {
        this.state.finished = true;
        const isError = line.is_error === true || asText(line.subtype) === "error";
        const text = asText(line.result).trim();
        if (isError) {
          this.state.failed = true;
          const message = text || asText(line.error) || asText(asRecord(line.error).message);
          if (message) this.state.errors.push(message);
        } else if (text && this.texts.length === 0) {
          this.state.summary = text;
        }
        const usage = asRecord(line.usage);
        if (Object.keys(usage).length > 0) {
          this.state.usage = {
            inputTokens: asCount(usage.inputTokens ?? usage.input_tokens),
            outputTokens: asCount(usage.outputTokens ?? usage.output_tokens),
            cachedInputTokens: asCount(usage.cacheReadTokens ?? usage.cache_read_input_tokens ?? usage.cached_input_tokens),
          };
        }
        const cost = line.total_cost_usd ?? line.cost_usd;
        if (typeof cost === "number" && Number.isFinite(cost)) this.state.costUsd = cost;
        return [
          {
            eventType: "result",
            message: isError ? text || "error" : asText(line.subtype) || "success",
            payload: { usage: this.state.usage, durationMs: asCount(line.duration_ms), requestId: asText(line.request_id) || null },
          },
        ];
      }
      default:
        return [];
    }
  }
}
