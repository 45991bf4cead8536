import { describe, expect, it } from "vitest";
import { CANCELLED_RESULT, createFakeAdapter, type AdapterExecuteContext } from "../src/index.js";

function makeCtx(logs: string[]): AdapterExecuteContext {
  return {
    runId: "run-1",
    agent: { id: "agent-1", companyId: "company-1", name: "Fake", adapterType: "fake", adapterConfig: {} },
    runtime: { sessionId: null, sessionParams: null, sessionDisplayId: null, taskKey: null },
    env: {},
    secrets: [],
    context: {},
    prompt: null,
    cwd: null,
    onLog: (_stream, chunk) => void logs.push(chunk),
    onMeta: () => undefined,
    onSpawn: () => undefined,
  };
}

describe("createFakeAdapter", () => {
  it("default script logs one line and succeeds", async () => {
    const logs: string[] = [];
    const adapter = createFakeAdapter();
    const ctx = makeCtx(logs);
    const result = await adapter.execute(ctx, new AbortController().signal);
    expect(adapter.type).toBe("fake");
    expect(result).toEqual({ exitCode: 0, signal: null, timedOut: false });
    expect(logs).toEqual(["fake adapter ran run-1\n"]);
    expect(adapter.calls).toEqual([ctx]);
  });

  it("runs a custom script and type", async () => {
    const adapter = createFakeAdapter(async () => ({ exitCode: 1, signal: null, timedOut: false, errorMessage: "boom", errorCode: "x" }), {
      type: "scripted",
    });
    expect(adapter.type).toBe("scripted");
    expect(await adapter.execute(makeCtx([]), new AbortController().signal)).toMatchObject({ errorCode: "x" });
  });

  it("resolves with the cancelled result when aborted mid-script", async () => {
    const controller = new AbortController();
    let started = false;
    const adapter = createFakeAdapter(
      () =>
        new Promise(() => {
          started = true; // never settles on its own
        }),
    );
    const pending = adapter.execute(makeCtx([]), controller.signal);
    expect(started).toBe(true);
    controller.abort();
    expect(await pending).toEqual({ ...CANCELLED_RESULT });
  });

  it("resolves cancelled at once when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    let ran = false;
    const adapter = createFakeAdapter(async () => {
      ran = true;
      return { exitCode: 0, signal: null, timedOut: false };
    });
    expect(await adapter.execute(makeCtx([]), controller.signal)).toEqual({
      exitCode: null,
      signal: "SIGTERM",
      timedOut: false,
      errorMessage: "cancelled",
    });
    expect(ran).toBe(false);
  });

  it("rejects when the script rejects", async () => {
    const adapter = createFakeAdapter(async () => {
      throw new Error("adapter exploded");
    });
    await expect(adapter.execute(makeCtx([]), new AbortController().signal)).rejects.toThrow("adapter exploded");
  });
});
