/**
 * Handles of the runs this server process is executing right now: only what is needed to stop
 * them (an AbortController) and to wait for them at shutdown. This is not coordination state —
 * who runs what lives in the database (status + lease); another server cancels a run by changing
 * its row and notifying, and this process aborts the local handle when it hears of it.
 */
export interface LocalExecution {
  runId: string;
  agentId: string;
  controller: AbortController;
  done: Promise<void>;
}

export function createExecutionRegistry() {
  const byRun = new Map<string, LocalExecution>();
  return {
    add(execution: LocalExecution) {
      byRun.set(execution.runId, execution);
      void execution.done.finally(() => {
        if (byRun.get(execution.runId) === execution) byRun.delete(execution.runId);
      });
    },
    abort(runId: string, reason: string): boolean {
      const e = byRun.get(runId);
      if (!e) return false;
      e.controller.abort(reason);
      return true;
    },
    get: (runId: string) => byRun.get(runId),
    all: () => [...byRun.values()],
    get size() {
      return byRun.size;
    },
  };
}
export type ExecutionRegistry = ReturnType<typeof createExecutionRegistry>;
