import type { AdapterModule } from "@staple/adapter-kit";
import { type RegisteredRunner, type RunnerApi, RunnerRequestError } from "./api.js";
import { type AbortReason, executePacket } from "./execute-run.js";

export interface LoopOptions {
  api: RunnerApi;
  runner: RegisteredRunner;
  home: string;
  hostname: string;
  adapters: Readonly<Record<string, AdapterModule>>;
  /** Runs executed at once. */
  maxRuns: number;
  /** How long one claim waits on the server for work (long poll). */
  claimWaitMs: number;
  /** After `stop`: how long running runs may take before they are aborted as `runner_shutdown`. */
  drainGraceMs: number;
  /** Aborted on SIGTERM / SIGINT: drain. */
  stop: AbortSignal;
  note(message: string): void;
}

/** After the grace, aborted runs get this long to report their finish before the runner exits anyway. */
const ABORT_FINISH_GRACE_MS = 30_000;
/** Pause after a failed claim (server unreachable, 5xx) before the next one. */
const CLAIM_RETRY_MS = 1_000;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/** Waits for `promise` at most `ms` (the timer is cleared either way, so it never keeps the process alive). */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

const isRevoked = (error: unknown) => error instanceof RunnerRequestError && error.status === 401;

/**
 * The runner's work (docs/runners.md): a claim loop (long poll for at most `maxRuns - running` runs)
 * and a heartbeat loop that renews the leases of the runs it executes and aborts those the server
 * names (cancelled, or lost), until `stop`; then drain: no more claims (the server is told, so a
 * waiting claim returns), the running runs get `drainGraceMs`, the rest are aborted as
 * `runner_shutdown`. Resolves "revoked" when the server refused the token (every run aborted).
 */
export async function runLoop(opts: LoopOptions): Promise<"drained" | "revoked"> {
  const { api, runner, note } = opts;
  const executing = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let revoked = false;
  const halt = new AbortController(); // stop claiming: SIGTERM or revoked token
  let drained: Promise<unknown> | undefined;
  // Draining is told to the server at once: a claim waiting there returns (empty) within a second.
  const onStop = () => {
    halt.abort();
    drained ??= api.drain(runner.id).catch((error: unknown) => note(`Drain request failed: ${String(error)}`));
  };
  opts.stop.addEventListener("abort", onStop, { once: true });
  if (opts.stop.aborted) onStop();

  const abortAll = (reason: AbortReason) => {
    for (const e of executing.values()) if (!e.controller.signal.aborted) e.controller.abort(reason);
  };
  const revoke = () => {
    if (revoked) return;
    revoked = true;
    note("The server refused the runner token (revoked).");
    abortAll("revoked");
    halt.abort();
  };

  // Heartbeats go on while runs drain: they keep the runs' leases.
  let beating = true;
  const wakeBeat = new AbortController();
  const heartbeats = (async () => {
    while (beating) {
      try {
        const beat = await api.heartbeat(runner.id, [...executing.keys()]);
        for (const runId of beat.stopRunIds) {
          const e = executing.get(runId);
          if (e && !e.controller.signal.aborted) {
            note(`Stopping run ${runId}: no longer leased to this runner (cancelled or reaped)`);
            e.controller.abort("cancelled");
          }
        }
      } catch (error) {
        if (isRevoked(error)) revoke();
        else note(`Heartbeat failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (revoked) break;
      await sleep(runner.heartbeatMs, wakeBeat.signal);
    }
  })();

  let wakeClaim: () => void = () => {};
  while (!halt.signal.aborted) {
    const free = opts.maxRuns - executing.size;
    if (free <= 0) {
      // Full: wait for a run to end (or the stop).
      await new Promise<void>((resolve) => {
        wakeClaim = resolve;
        halt.signal.addEventListener("abort", () => resolve(), { once: true });
      });
      continue;
    }
    try {
      // A claim is not aborted by the stop: the drain request makes it return (empty) within a second,
      // so no run it claimed is lost in flight.
      const answer = await api.claim(runner.id, { max: free, waitMs: opts.claimWaitMs, home: opts.home }, new AbortController().signal);
      for (const packet of answer.runs) {
        const controller = new AbortController();
        note(`Claimed run ${packet.run.id} of agent ${packet.agent.name} (${packet.adapterType})`);
        const done = executePacket(
          packet,
          { api, runnerId: runner.id, home: opts.home, hostname: opts.hostname, adapters: opts.adapters, note },
          controller,
        )
          .catch((error: unknown) => note(`Run ${packet.run.id} crashed in the runner: ${String(error)}`))
          .finally(() => {
            executing.delete(packet.run.id);
            wakeClaim();
          });
        executing.set(packet.run.id, { controller, done });
      }
      if (answer.status === "draining" && !halt.signal.aborted) {
        note("The server says this runner is draining: no more claims.");
        halt.abort();
      }
    } catch (error) {
      if (isRevoked(error)) revoke();
      else if (!halt.signal.aborted) {
        note(`Claim failed: ${error instanceof Error ? error.message : String(error)}`);
        await sleep(CLAIM_RETRY_MS, halt.signal);
      }
    }
  }
  opts.stop.removeEventListener("abort", onStop);

  if (!revoked) {
    await (drained ??= api.drain(runner.id).catch((error: unknown) => note(`Drain request failed: ${String(error)}`)));
    if (executing.size > 0) {
      note(`Draining: ${executing.size} run(s) may take up to ${Math.round(opts.drainGraceMs / 1000)} s to finish`);
      await within(Promise.allSettled([...executing.values()].map((e) => e.done)), opts.drainGraceMs);
      if (executing.size > 0) {
        note(`Drain grace over: aborting ${executing.size} run(s); the server retries each once`);
        abortAll("runner_shutdown");
      }
    }
  }
  await within(Promise.allSettled([...executing.values()].map((e) => e.done)), ABORT_FINISH_GRACE_MS);
  beating = false;
  wakeBeat.abort();
  await within(heartbeats, 1_000);
  return revoked ? "revoked" : "drained";
}
