import { asCount, asRecord, asText, emptyCliRunState, type AdapterEvent, type CliLineParser, type CliRunState } from "@staple/adapter-kit";

/**
 * Reads `opencode run --format json` (OpenCode 1.18): one event per line, each with the `sessionID`:
 *   {"type":"step_start","sessionID":"ses_…","part":{"type":"step-start"}}
 *   {"type":"text","sessionID":…,"part":{"type":"text","text":"…"}}
 *   {"type":"tool_use","sessionID":…,"part":{"type":"tool","tool":"bash","callID":"…","state":{"status":"completed"|"error","input":{…},"output":"…","error":"…"}}}
 *   {"type":"step_finish","sessionID":…,"part":{"type":"step-finish","cost":0.0012,"tokens":{"input":…,"output":…,"reasoning":…,"cache":{"read":…,"write":…}}}}
 *   {"type":"error","sessionID":…,"error":{"name":"ProviderAuthError"|"APIError"|…,"data":{"message":"…"}}}
 * Usage and cost are per step: a run's totals are the sums. Reasoning tokens count as output.
 */
export class OpenCodeStreamParser implements CliLineParser {
  readonly state: CliRunState = emptyCliRunState();
  private texts: string[] = [];
  private initReported = false;

  apply(line: Record<string, unknown>): AdapterEvent[] {
    const sessionId = asText(line.sessionID);
    if (sessionId) this.state.sessionId = sessionId;
    const part = asRecord(line.part);
    switch (asText(line.type)) {
      case "step_start":
        // Every step starts with one; the first stands for the session start.
        if (this.initReported) return [];
        this.initReported = true;
        return [{ eventType: "system.init", message: `session ${sessionId || "?"}`, payload: { sessionId: sessionId || null } }];
      case "text": {
        const text = asText(part.text).trim();
        if (!text) return [];
        this.texts.push(text);
        this.state.summary = this.texts.join("\n\n");
        return [{ eventType: "assistant.text", message: text }];
      }
      case "tool_use": {
        this.state.toolCalls += 1;
        const state = asRecord(part.state);
        const status = asText(state.status);
        const tool = asText(part.tool);
        const callId = asText(part.callID) || null;
        const output = status === "error" ? asText(state.error) : asText(state.output);
        return [
          { eventType: "tool.use", message: tool, payload: { toolId: callId, name: tool, input: state.input ?? null } },
          {
            eventType: "tool.result",
            message: status === "error" ? output || "tool error" : status || "done",
            payload: { toolId: callId, status, isError: status === "error", output: truncate(output) },
          },
        ];
      }
      case "step_finish": {
        this.state.finished = true;
        const tokens = asRecord(part.tokens);
        const cache = asRecord(tokens.cache);
        const usage = this.state.usage ?? { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
        this.state.usage = {
          inputTokens: usage.inputTokens + asCount(tokens.input),
          outputTokens: usage.outputTokens + asCount(tokens.output) + asCount(tokens.reasoning),
          cachedInputTokens: (usage.cachedInputTokens ?? 0) + asCount(cache.read),
        };
        if (typeof part.cost === "number" && Number.isFinite(part.cost)) this.state.costUsd = (this.state.costUsd ?? 0) + part.cost;
        return [
          {
            eventType: "result",
            message: asText(part.reason) || "step finished",
            payload: { usage: this.state.usage, costUsd: this.state.costUsd },
          },
        ];
      }
      case "error": {
        const error = asRecord(line.error);
        const message = asText(asRecord(error.data).message) || asText(error.message) || asText(error.name) || "error";
        const name = asText(error.name);
        this.state.failed = true;
        this.state.errors.push(name && !message.includes(name) ? `${name}: ${message}` : message);
        return [{ eventType: "error", message, payload: { name: name || null } }];
      }
      default:
        return [];
    }
  }
}

function truncate(text: string): string {
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}
