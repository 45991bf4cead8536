import type { AdapterExecuteContext, AdapterModule, AdapterResult } from "./types.js";

/**
 * An in-memory AdapterModule for engine tests: no process, no network.
 *
 * Invariants:
 * - An abort always wins: if `signal` aborts before the script settles (or was aborted on entry), `execute`
 *   resolves with CANCELLED_RESULT at once, whatever the script does later.
 * - A script that rejects makes `execute` reject (the engine's "adapter threw" path).
 * - Every call is recorded in `calls`, in order, before the script runs.
 */

export type FakeAdapterScript = (ctx: AdapterExecuteContext, signal: AbortSignal) => Promise<AdapterResult>;

export interface FakeAdapter extends AdapterModule {
  /** Contexts of every `execute` call so far, oldest first. */
  readonly calls: AdapterExecuteContext[];
}

export interface FakeAdapterOptions {
  /** Adapter type; default "fake". */
  type?: string;
}

export const CANCELLED_RESULT: Readonly<AdapterResult> = Object.freeze({
  exitCode: null,
  signal: "SIGTERM",
  timedOut: false,
  errorMessage: "cancelled",
});

/** Default script: one stdout line, then success. */
export const defaultFakeScript: FakeAdapterScript = async (ctx) => {
  await ctx.onLog("stdout", `fake adapter ran ${ctx.runId}\n`);
  return { exitCode: 0, signal: null, timedOut: false };
};

export function createFakeAdapter(script: FakeAdapterScript = defaultFakeScript, options: FakeAdapterOptions = {}): FakeAdapter {
  const calls: AdapterExecuteContext[] = [];
  return {
    type: options.type ?? "fake",
    calls,
    async execute(ctx, signal) {
      calls.push(ctx);
      if (signal.aborted) return { ...CANCELLED_RESULT };
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<AdapterResult>((resolve) => {
        onAbort = () => resolve({ ...CANCELLED_RESULT });
        signal.addEventListener("abort", onAbort, { once: true });
      });
      try {
        return await Promise.race([script(ctx, signal), aborted]);
      } finally {
        if (onAbort) signal.removeEventListener("abort", onAbort);
      }
    },
  };
}
