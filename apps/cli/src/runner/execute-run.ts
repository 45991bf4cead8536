import fs from "node:fs";
import { createRedactor, TailBuffer, type AdapterExecuteContext, type AdapterModule, type AdapterResult } from "@staple/adapter-kit";
import { secretPrefixStart } from "@staple/server/dist/runs/secret-holdback.js";
import { installSkill } from "@staple/server/dist/runs/skill.js";
import { type ExecutionPacket, type RunnerApi, RunnerRequestError } from "./api.js";
import { createLogSender } from "./log-sender.js";
import { forgetRun, recordSpawn } from "./orphans.js";

/** stdout/stderr excerpts sent with the finish (as a server keeps them). */
const EXCERPT_MAX_BYTES = 32 * 1024;
/** A finish that got no answer is resent for about this long (a lost finish would cost a process-loss retry). */
const FINISH_RETRY_MS = 60_000;

/** Why the runner aborted a run: the server stopped it (cancel, lease lost), the token was revoked, or the runner shut down. */
export type AbortReason = "cancelled" | "lease_lost" | "revoked" | "runner_shutdown";

export interface RunDeps {
  api: RunnerApi;
  runnerId: string;
  /** The runner's home (its agents' workspaces and the agent skill live under it). */
  home: string;
  hostname: string;
  adapters: Readonly<Record<string, AdapterModule>>;
  note(message: string): void;
}

const finalRequestError = (error: unknown) => error instanceof RunnerRequestError && (error.status === 409 || error.status === 401);

/**
 * Executes one claimed run with its adapter (unchanged) and reports it: output redacted with the
 * packet's secrets before it leaves this machine (held back while it may be the start of a secret),
 * log pieces batched, events and the spawn record, then the finish. A 409 (lease lost) or 401
 * (token revoked) on any report aborts the adapter, which kills its process group. Never throws.
 */
export async function executePacket(packet: ExecutionPacket, deps: RunDeps, controller: AbortController): Promise<void> {
  const runId = packet.run.id;
  const post = <T>(what: "log" | "events" | "finish", body: unknown) => deps.api.runPost<T>(deps.runnerId, runId, what, body);
  const secrets = [...packet.secrets];
  let redact = createRedactor(secrets);
  const redactJson = <T>(value: T): T => JSON.parse(redact(JSON.stringify(value))) as T;
  const onFinalError = (error: unknown) => {
    if (!controller.signal.aborted) controller.abort((error as RunnerRequestError).status === 401 ? "revoked" : "lease_lost");
  };
  const log = createLogSender({ send: (body) => post("log", body), isFinal: finalRequestError, onFinalError });
  const tails = { stdout: new TailBuffer(EXCERPT_MAX_BYTES), stderr: new TailBuffer(EXCERPT_MAX_BYTES) };
  const held = { stdout: "", stderr: "" };
  const record = (stream: "stdout" | "stderr", text: string) => {
    log.append(stream, text);
    tails[stream].push(text);
  };
  // Events go out one request at a time, in order; a failed one is dropped (best effort, like the log).
  let events: Promise<void> = Promise.resolve();
  const sendEvents = (body: unknown) => {
    events = events.then(() =>
      post("events", body).then(
        () => undefined,
        (error: unknown) => (finalRequestError(error) ? onFinalError(error) : undefined),
      ),
    );
  };

  let result: AdapterResult | null = null;
  let error: string | null = null;
  const adapter = deps.adapters[packet.adapterType];
  try {
    if (!adapter) throw new Error(`Adapter "${packet.adapterType}" is not available on this runner`);
    fs.mkdirSync(packet.cwd, { recursive: true });
    if (typeof packet.context.skillsDir === "string") installSkill(deps.home);
    const ctx: AdapterExecuteContext = {
      runId,
      agent: packet.agent,
      runtime: packet.runtime,
      env: packet.env,
      secrets,
      context: packet.context,
      prompt: packet.prompt,
      cwd: packet.cwd,
      outboundAllow: packet.outboundAllow,
      onSecret: (value) => {
        if (!secrets.includes(value)) {
          secrets.push(value);
          redact = createRedactor(secrets);
        }
      },
      onLog: (stream, chunk) => {
        const combined = redact(held[stream] + chunk);
        const cut = secretPrefixStart(combined, secrets);
        held[stream] = combined.slice(cut);
        if (cut > 0) record(stream, combined.slice(0, cut));
      },
      onEvent: (event) =>
        sendEvents({
          events: [
            {
              eventType: event.eventType,
              message: event.message ? redact(event.message) : null,
              ...(event.payload === undefined ? {} : { payload: redactJson(event.payload) }),
            },
          ],
        }),
      onMeta: (meta) => sendEvents({ events: [{ eventType: "adapter.invoke", message: "adapter invocation", payload: redactJson(meta) }] }),
      onSpawn: (info) => {
        // Recorded so a runner restarted after a crash stops this group if it outlives us (orphans.ts).
        recordSpawn(deps.home, { runId, pgid: info.processGroupId ?? info.pid }, deps.note);
        return sendEvents({ events: [], spawn: { ...info, hostname: deps.hostname } });
      },
    };
    result = await adapter.execute(ctx, controller.signal);
  } catch (thrown) {
    error = redact(thrown instanceof Error ? thrown.message : String(thrown ?? "adapter threw"));
  }
  // The adapter returned: it has stopped (or reaped) its process group.
  forgetRun(deps.home, runId);
  for (const stream of ["stdout", "stderr"] as const) {
    if (held[stream]) record(stream, redact(held[stream]));
    held[stream] = "";
  }
  const closed = await log.close();
  await events;
  const reason = controller.signal.aborted ? (controller.signal.reason as AbortReason) : null;
  if (reason === "revoked") return; // the server refuses everything now; the lease lapses and the reaper ends the run
  const body = {
    result: result ? redactJson(result) : null,
    error,
    ...(reason === "runner_shutdown" ? { stop: "runner_shutdown" as const } : {}),
    stdoutExcerpt: tails.stdout.value() || null,
    stderrExcerpt: tails.stderr.value() || null,
    log: closed,
    timeoutSec: packet.timeoutSec,
  };
  const deadline = Date.now() + FINISH_RETRY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      const answer = await post<{ accepted: boolean; status: string | null }>("finish", body);
      deps.note(`Run ${runId} ${answer.accepted ? `finished: ${answer.status}` : `was already ${answer.status ?? "gone"} on the server`}`);
      return;
    } catch (failure) {
      if (failure instanceof RunnerRequestError && failure.status < 500) {
        deps.note(`Run ${runId}: the server refused its finish (${failure.message})`);
        return;
      }
      if (Date.now() > deadline) {
        deps.note(`Run ${runId}: no answer to its finish; the server will reap it when its lease lapses`);
        return;
      }
      await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * attempt)));
    }
  }
}
