import type { ClientContext } from "@agentclientprotocol/sdk";
import { asCount, asRecord, asText, emptyCliRunState, type AdapterEvent, type CliRunState } from "@staple/adapter-kit";

/**
 * One prompt turn with an ACP agent over its stdio, as a client (protocol version 1):
 *   initialize -> session/load (saved session, when the agent can load) or session/new
 *   -> [session/set_config_option model] -> session/prompt -> PromptResponse {stopReason, usage?}
 * while `session/update` notifications stream the turn (message chunks, tool calls, usage_update with cost)
 * and `session/request_permission` requests are answered (allow when auto-approving, else reject).
 *
 * Invariants: the client advertises no file-system or terminal capability, so the agent uses its own tools
 * in its own working directory; updates replayed by session/load are not counted as this run's output; a
 * JSON-RPC error is recorded with its code (-32000 = auth_required, -32002 = resource not found).
 */
export interface AcpTurnInput {
  prompt: string;
  cwd: string;
  resumeSessionId: string | null;
  model: string | null;
  autoApprove: boolean;
  /** Bytes the agent writes to stdout. */
  input: ReadableStream<Uint8Array>;
  /** Bytes for the agent's stdin. */
  output: WritableStream<Uint8Array>;
  onEvent(event: AdapterEvent): void;
}

export interface AcpTurnOutcome {
  state: CliRunState;
  /** The turn completed (a PromptResponse arrived). */
  completed: boolean;
  stopReason: string | null;
  /** The saved session could not be loaded and a new one was started. */
  sessionReset: boolean;
  agentName: string | null;
  /** JSON-RPC error code of the failure, if any. */
  errorCode: number | null;
}

export const ACP_AUTH_REQUIRED = -32000;
export const ACP_RESOURCE_NOT_FOUND = -32002;
const CLIENT_VERSION = "0.1.0";

/**
 * The ACP SDK is loaded on the first turn or probe, not with the adapter: the server imports every
 * adapter at start and most never run an ACP agent (docs/performance.md, W3/W4).
 */
const loadSdk = () => import("@agentclientprotocol/sdk");

export async function runAcpTurn(input: AcpTurnInput): Promise<AcpTurnOutcome> {
  const { client, ndJsonStream, RequestError } = await loadSdk();
  const state = emptyCliRunState();
  const outcome: AcpTurnOutcome = { state, completed: false, stopReason: null, sessionReset: false, agentName: null, errorCode: null };
  const texts: string[] = [];
  let pending = "";
  let replaying = false;
  const flush = () => {
    const text = pending.trim();
    pending = "";
    if (!text) return;
    texts.push(text);
    state.summary = texts.join("\n\n");
    input.onEvent({ eventType: "assistant.text", message: text });
  };

  const app = client()
    .onNotification("session/update", ({ params }) => {
      if (replaying) return;
      const update = asRecord(params.update);
      switch (asText(update.sessionUpdate)) {
        case "agent_message_chunk": {
          const content = asRecord(update.content);
          if (asText(content.type) === "text") pending += asText(content.text);
          break;
        }
        case "tool_call":
          flush();
          state.toolCalls += 1;
          input.onEvent({
            eventType: "tool.use",
            message: asText(update.title) || asText(update.kind) || "tool",
            payload: {
              toolId: asText(update.toolCallId) || null,
              name: asText(update.title),
              kind: asText(update.kind) || null,
              input: update.rawInput ?? null,
            },
          });
          break;
        case "tool_call_update": {
          const status = asText(update.status);
          if (status !== "completed" && status !== "failed") break;
          const output = JSON.stringify(update.rawOutput ?? update.content ?? null) ?? "";
          input.onEvent({
            eventType: "tool.result",
            message: status === "failed" ? "tool error" : "done",
            payload: { toolId: asText(update.toolCallId) || null, status, isError: status === "failed", output: output.slice(0, 2000) },
          });
          break;
        }
        case "usage_update": {
          const cost = asRecord(update.cost);
          if (typeof cost.amount === "number" && asText(cost.currency).toUpperCase() === "USD") state.costUsd = cost.amount;
          break;
        }
        default:
          break;
      }
    })
    .onRequest("session/request_permission", ({ params }) => {
      const options = Array.isArray(params.options) ? params.options : [];
      const wanted = input.autoApprove ? ["allow_once", "allow_always"] : ["reject_once", "reject_always"];
      const choice = options.find((o) => wanted.includes(o.kind));
      input.onEvent({
        eventType: "permission",
        message: `${choice ? (input.autoApprove ? "allowed" : "rejected") : "cancelled"}: ${asText(asRecord(params.toolCall).title) || "tool call"}`,
      });
      return choice ? { outcome: { outcome: "selected", optionId: choice.optionId } } : { outcome: { outcome: "cancelled" } };
    });

  try {
    await app.connectWith(ndJsonStream(input.output, input.input), async (agent: ClientContext) => {
      const init = await agent.request("initialize", {
        protocolVersion: 1,
        clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
        clientInfo: { name: "staple", version: CLIENT_VERSION },
      });
      outcome.agentName = asText(asRecord(init.agentInfo).name) || null;
      const canLoad = asRecord(init.agentCapabilities).loadSession === true;
      let sessionId: string | null = null;
      let configOptions: unknown = null;
      if (input.resumeSessionId !== null && canLoad) {
        replaying = true;
        try {
          const loaded = await agent.request("session/load", { sessionId: input.resumeSessionId, cwd: input.cwd, mcpServers: [] });
          sessionId = input.resumeSessionId;
          configOptions = asRecord(loaded).configOptions;
        } catch (error) {
          if (error instanceof RequestError && error.code === ACP_AUTH_REQUIRED) throw error;
          outcome.sessionReset = true;
          state.errors.push(`session/load ${input.resumeSessionId} failed: ${error instanceof Error ? error.message : String(error)}`);
        } finally {
          replaying = false;
        }
      } else if (input.resumeSessionId !== null) {
        outcome.sessionReset = true;
      }
      if (sessionId === null) {
        const created = await agent.request("session/new", { cwd: input.cwd, mcpServers: [] });
        sessionId = created.sessionId;
        configOptions = created.configOptions;
      }
      state.sessionId = sessionId;
      input.onEvent({
        eventType: "system.init",
        message: `session ${sessionId}`,
        payload: { sessionId, agent: outcome.agentName, resumed: input.resumeSessionId !== null && !outcome.sessionReset },
      });
      if (input.model !== null) await applyModel(agent, sessionId, configOptions, input.model, state);
      const response = asRecord(await agent.request("session/prompt", { sessionId, prompt: [{ type: "text", text: input.prompt }] }));
      flush();
      outcome.completed = true;
      outcome.stopReason = asText(response.stopReason) || null;
      state.finished = true;
      const usage = asRecord(response.usage);
      if (Object.keys(usage).length > 0) {
        state.usage = {
          inputTokens: asCount(usage.inputTokens),
          outputTokens: asCount(usage.outputTokens) + asCount(usage.thoughtTokens),
          cachedInputTokens: asCount(usage.cachedReadTokens),
        };
      }
      input.onEvent({
        eventType: "result",
        message: outcome.stopReason ?? "done",
        payload: { stopReason: outcome.stopReason, usage: state.usage, costUsd: state.costUsd },
      });
    });
  } catch (error) {
    flush();
    state.failed = true;
    const code = error instanceof RequestError ? error.code : null;
    outcome.errorCode = code;
    const message = error instanceof Error ? error.message : String(error);
    const data = error instanceof RequestError && error.data !== undefined ? ` ${JSON.stringify(error.data)}` : "";
    state.errors.push(code === ACP_AUTH_REQUIRED ? `auth_required: ${message}${data}` : `${message}${data}`);
  }
  return outcome;
}

/** Sets the session's model through its "model" config option; an agent without one keeps its own. */
async function applyModel(
  agent: ClientContext,
  sessionId: string,
  configOptions: unknown,
  model: string,
  state: CliRunState,
): Promise<void> {
  const option = (Array.isArray(configOptions) ? configOptions : []).map(asRecord).find((o) => o.category === "model" || o.id === "model");
  if (!option) {
    state.errors.push(`the agent offers no model option; adapterConfig.model ${model} was not applied`);
    return;
  }
  await agent.request("session/set_config_option", { sessionId, configId: asText(option.id), value: model });
  state.model = model;
}

export interface AcpProbe {
  agentName: string | null;
  agentVersion: string | null;
  loadSession: boolean;
  /** Names of the login methods the agent offers (`authMethods`). */
  authMethods: string[];
  /** session/new answered auth_required. */
  authRequired: boolean;
  /** Any other failure of the handshake. */
  error: string | null;
}

/**
 * The environment check's handshake: initialize, then session/new in `cwd` (which needs a login but calls
 * no model). Never throws.
 */
export async function probeAcpAgent(input: ReadableStream<Uint8Array>, output: WritableStream<Uint8Array>, cwd: string): Promise<AcpProbe> {
  const { client, ndJsonStream, RequestError } = await loadSdk();
  const probe: AcpProbe = { agentName: null, agentVersion: null, loadSession: false, authMethods: [], authRequired: false, error: null };
  try {
    await client()
      .onRequest("session/request_permission", () => ({ outcome: { outcome: "cancelled" } }))
      .connectWith(ndJsonStream(output, input), async (agent: ClientContext) => {
        const init = await agent.request("initialize", {
          protocolVersion: 1,
          clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
          clientInfo: { name: "staple", version: CLIENT_VERSION },
        });
        const info = asRecord(init.agentInfo);
        probe.agentName = asText(info.name) || null;
        probe.agentVersion = asText(info.version) || null;
        probe.loadSession = asRecord(init.agentCapabilities).loadSession === true;
        probe.authMethods = (Array.isArray(init.authMethods) ? init.authMethods : []).map(
          (m) => asText(asRecord(m).name) || asText(asRecord(m).id),
        );
        await agent.request("session/new", { cwd, mcpServers: [] });
      });
  } catch (error) {
    if (error instanceof RequestError && error.code === ACP_AUTH_REQUIRED) probe.authRequired = true;
    else probe.error = error instanceof Error ? error.message : String(error);
  }
  return probe;
}
