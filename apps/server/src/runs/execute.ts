import type { AgentStatus, RunStatus } from "@staple/contracts";
import fs from "node:fs";
import path from "node:path";
import { createRedactor, TailBuffer, type AdapterExecuteContext, type AdapterResult } from "@staple/adapter-kit";
import { appendRunEvent } from "./run-events.js";
import { compactChunk, EXCERPT_MAX_BYTES } from "./log-store.js";
import { mapRunOutcome, type RunOutcome } from "./outcome.js";
import { toRunUsage } from "./usage-delta.js";
import { runFinalizeSteps, type FinalizeContext } from "./finalize/pipeline.js";
import { settleAgentStatus } from "./finalize/agent-status.js";
import { releaseIssueExecutionAndPromote } from "./release-promote.js";
import { releaseRunLeases } from "./environment-leases.js";
import type { RunEngineResources } from "./resources.js";
import type { ExecutionRegistry } from "./executions.js";
import type { RunRow } from "./rows.js";
import { transitionRun } from "./transition.js";
import { localSkillsDir, prepareInvocation, setupRun, type AgentForRun } from "./prepare-run.js";
import { secretPrefixStart } from "./secret-holdback.js";
import { createPullRequestCollector } from "../workspaces/pull-requests.js";
import type { WorkspaceLease } from "../workspaces/service.js";
import { rebaseConfigCwd } from "../workspaces/naming.js";

export { secretPrefixStart };

const realpathOrSelf = (p: string) => {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
};

/** The run's execution workspace could not be prepared: the run fails with this result, the adapter never starts. */
class WorkspacePreparationFailed extends Error {
  constructor(readonly result: AdapterResult) {
    super(result.errorMessage ?? "execution workspace preparation failed");
  }
}

/** lastOutput* columns are written at most this often while a run streams output. */
const OUTPUT_FLUSH_MS = 60_000;

/** After a run's finalization committed: `agentStatus` is the agent's status it settled (undefined: left as it was). */
export type AfterRun = (pokes: Set<string>, run: RunRow, finalStatus: RunStatus, agentStatus: AgentStatus | undefined) => void;

/**
 * Executes one claimed run to its end: prepares the environment and token, opens the log, hands
 * the adapter an AbortSignal, renews the lease while the adapter works, and finalizes through the
 * pipeline in one transaction. Never throws: every failure ends as a terminal run.
 */
export function createRunExecutor(res: RunEngineResources, registry: ExecutionRegistry, afterRun: AfterRun) {
  const { db, logger } = res;

  /** The run's working directory: the issue's project workspace, else the agent's own home. */
  async function resolveCwd(run: RunRow, agent: AgentForRun): Promise<string> {
    if (run.issueId) {
      const [ws] = await db.query<{ cwd: string }>(
        `SELECT w.cwd FROM issues i JOIN project_workspaces w ON w.project_id = i.project_id
          WHERE i.id = $1 AND w.cwd IS NOT NULL ORDER BY w.is_primary DESC, w.created_at LIMIT 1`,
        [run.issueId],
      );
      if (ws && fs.existsSync(ws.cwd)) return ws.cwd;
    }
    const home = path.join(res.home, "agents", agent.id, "workspace");
    fs.mkdirSync(home, { recursive: true });
    return home;
  }

  async function finalize(
    run: RunRow,
    agent: { id: string } | undefined,
    fc: Omit<FinalizeContext, "q" | "transitioned" | "finalRun" | "pokes">,
  ) {
    const pokes = new Set<string>();
    let finalStatus: RunStatus = fc.outcome.status;
    let agentStatus: AgentStatus | undefined;
    try {
      // A deadlock or serialization victim is run again by db.tx (the steps only write to the
      // database and collect pokes, which a second attempt may add again harmlessly); anything
      // else goes to the plain failure below.
      await db.tx(async (q) => {
        const ctx: FinalizeContext = { ...fc, q, transitioned: false, finalRun: null, pokes };
        await runFinalizeSteps(res.finalizeSteps, ctx);
        finalStatus = ctx.finalRun?.status ?? "cancelled";
        agentStatus = ctx.agentStatus;
      });
    } catch (error) {
      // A bug in a step must not strand the run: fail it plainly and release what it held.
      logger.error("run finalization failed", { runId: run.id, err: error });
      await db.tx(async (q) => {
        const [row] = await transitionRun(q, run.id, {
          from: ["running"],
          to: "failed",
          set: "finished_at = now(), error = 'Finalization failed', error_code = 'finalization_failed', lease_expires_at = NULL, updated_at = now()",
        });
        if (row) for (const id of (await releaseIssueExecutionAndPromote(q, run)).promotedAgentIds) pokes.add(id);
        // Its environment leases end with it (they were left active before 2026-12-05).
        if (row) await releaseRunLeases(q, run, "failed", "finalization_failed");
        agentStatus = agent ? (await settleAgentStatus(q, agent.id, "failed"))?.status : undefined;
      });
      finalStatus = "failed";
      pokes.add(run.agentId);
    }
    afterRun(pokes, run, finalStatus, agentStatus);
  }

  /** `agent`: the run's agent as the claim read it (undefined: read here). */
  async function execute(run: RunRow, agent?: AgentForRun | null): Promise<void> {
    const controller = new AbortController();
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    registry.add({ runId: run.id, agentId: run.agentId, controller, done });
    try {
      await executeClaimed(run, controller, agent);
    } catch (error) {
      logger.error("run execution crashed", { runId: run.id, err: error });
    } finally {
      resolveDone();
    }
  }

  /** Ends a run that never reached its adapter (agent gone, adapter missing, secret ref refused). */
  const failEarly = (run: RunRow, agent: AgentForRun | undefined, error: string, errorCode: string) =>
    finalize(run, agent, {
      run,
      agent: { id: run.agentId, companyId: run.companyId, adapterType: agent?.adapterType ?? "unknown" },
      outcome: { status: "failed", error, errorCode, stopReason: "adapter_failed" } satisfies RunOutcome,
      result: null,
      log: { logRef: null, bytes: 0, sha256: null, stdoutExcerpt: null, stderrExcerpt: null },
      timeoutSec: 0,
      redact: (t) => t,
    });

  async function executeClaimed(run: RunRow, controller: AbortController, claimedAgent: AgentForRun | null | undefined): Promise<void> {
    const setup = await setupRun(res, run, { requireLocalAdapter: true, agent: claimedAgent });
    if (setup.kind === "failed") return failEarly(run, setup.agent, setup.error, setup.errorCode);
    const { agent, config, timeoutSec } = setup;
    const adapter = res.adapters[agent.adapterType]!;
    const secrets = [...setup.secrets];
    let redact = createRedactor(secrets);
    const addSecret = (value: string) => {
      if (!secrets.includes(value)) {
        secrets.push(value);
        redact = createRedactor(secrets);
      }
    };
    const log = res.logStore.open(run.companyId, run.agentId, run.id);
    const tails = { stdout: new TailBuffer(EXCERPT_MAX_BYTES), stderr: new TailBuffer(EXCERPT_MAX_BYTES) };
    /** Per stream: redacted output not yet recorded because it may be the start of a secret. */
    const held = { stdout: "", stderr: "" };
    let outputSeq = 0;
    let lastFlush = 0;
    const pullRequests = createPullRequestCollector();
    let workspaceLease: WorkspaceLease | null = null;
    const record = (stream: "stdout" | "stderr", text: string) => {
      pullRequests.push(text);
      log.append(stream, text);
      tails[stream].push(text);
      outputSeq++;
    };

    let result: AdapterResult | null = null;
    let thrown: unknown;
    let pendingMeta: Record<string, unknown> | null = null;
    let spawned = false;
    const flushMeta = async () => {
      const meta = pendingMeta;
      pendingMeta = null;
      if (meta) await appendRunEvent(db, run.id, { eventType: "adapter.invoke", message: "adapter invocation", payload: meta });
    };
    const lease = setInterval(
      () => {
        db.query<{ id: string }>(
          `UPDATE heartbeat_runs SET lease_expires_at = now() + ($3::int * interval '1 millisecond')
          WHERE id = $1 AND status = 'running' AND lease_owner = $2 RETURNING id`,
          [run.id, res.instanceId, res.leaseMs],
        )
          .then((rows) => {
            // The row left `running` or changed owner (cancelled elsewhere, reaped): stop the work.
            if (rows.length === 0) controller.abort("lease_lost");
          })
          .catch((error: unknown) => logger.warn("lease renewal failed", { runId: run.id, err: error }));
      },
      Math.max(250, Math.floor(res.leaseMs / 3)),
    );
    lease.unref();

    let sessionIdBefore: string | null = null;
    try {
      const prepared = await prepareInvocation(res, run, setup, async () => {
        // An isolated worktree per issue when the project's policy says so (docs/workspaces.md).
        const ws = res.executionWorkspaces
          ? await res.executionWorkspaces.prepareForRun(run, agent.adapterType, (stream, text) => record(stream, redact(text)))
          : null;
        if (ws?.kind === "failed") {
          throw new WorkspacePreparationFailed({
            exitCode: null,
            signal: null,
            timedOut: false,
            errorCode: ws.errorCode,
            errorMessage: ws.message,
          });
        }
        if (ws?.kind === "isolated") workspaceLease = ws.lease;
        const cwd = workspaceLease ? workspaceLease.workspace.cwd : await resolveCwd(run, agent);
        // A configured cwd inside the repository follows the run into its worktree.
        const runConfig = workspaceLease ? rebaseConfigCwd(config, workspaceLease.workspace.repoRoot, cwd, realpathOrSelf).config : config;
        return {
          cwd,
          runConfig,
          workspaceEnv: workspaceLease?.env ?? null,
          agentHome: path.join(res.home, "agents", agent.id),
          skillsDir: localSkillsDir(res),
          readInstructions: true,
          localLease: true,
        };
      });
      sessionIdBefore = prepared.sessionIdBefore;
      const { context, env, prompt, outboundAllow, cwd, runConfig } = prepared;
      const ctx: AdapterExecuteContext = {
        runId: run.id,
        agent: { id: agent.id, companyId: agent.companyId, name: agent.name, adapterType: agent.adapterType, adapterConfig: runConfig },
        runtime: prepared.runtime,
        env,
        secrets,
        context,
        prompt,
        cwd,
        onSecret: addSecret,
        spawn: res.spawn,
        outboundAllow,
        onLog: async (stream, chunk) => {
          const combined = redact(held[stream] + compactChunk(chunk));
          const cut = secretPrefixStart(combined, secrets);
          held[stream] = combined.slice(cut);
          if (cut === 0) return;
          const text = combined.slice(0, cut);
          record(stream, text);
          const now = Date.now();
          if (now - lastFlush >= OUTPUT_FLUSH_MS) {
            lastFlush = now;
            await db.query(
              "UPDATE heartbeat_runs SET last_output_at = now(), last_output_seq = $2, last_output_stream = $3, last_output_bytes = $4 WHERE id = $1",
              [run.id, outputSeq, stream, Buffer.byteLength(text)],
            );
          }
        },
        // The invocation event is written together with the spawn record (one statement); an
        // adapter that never spawns gets it written when the run ends.
        onEvent: async (event) => {
          await appendRunEvent(db, run.id, {
            eventType: event.eventType,
            message: event.message ? redact(event.message) : null,
            payload: event.payload === undefined ? undefined : JSON.parse(redact(JSON.stringify(event.payload))),
          });
        },
        onMeta: async (meta) => {
          pendingMeta = JSON.parse(redact(JSON.stringify(meta))) as Record<string, unknown>;
          if (spawned) await flushMeta();
        },
        onSpawn: async (info) => {
          spawned = true;
          const meta = pendingMeta;
          pendingMeta = null;
          await db.query(
            `WITH r AS (
               UPDATE heartbeat_runs SET process_pid = $2, process_group_id = $3, process_started_at = $4, updated_at = now(),
                      event_seq = event_seq + CASE WHEN $5::jsonb IS NULL THEN 0 ELSE 1 END
                WHERE id = $1 RETURNING company_id, agent_id, event_seq
             )
             INSERT INTO heartbeat_run_events (company_id, run_id, agent_id, seq, event_type, stream, level, message, payload)
             SELECT company_id, $1, agent_id, event_seq, 'adapter.invoke', 'system', 'info', 'adapter invocation', $5::jsonb FROM r
              WHERE $5::jsonb IS NOT NULL`,
            [run.id, info.pid, info.processGroupId, info.startedAt, meta ? JSON.stringify(meta) : null],
          );
        },
      };
      try {
        result = await adapter.execute(ctx, controller.signal);
      } catch (error) {
        thrown = error ?? new Error("adapter threw");
        await appendRunEvent(db, run.id, {
          eventType: "error",
          level: "error",
          message: redact(error instanceof Error ? error.message : String(error)),
        });
      }
    } catch (error) {
      if (error instanceof WorkspacePreparationFailed) result = error.result;
      else thrown = error ?? new Error("run preparation failed");
    } finally {
      clearInterval(lease);
      await flushMeta().catch(() => {});
      for (const stream of ["stdout", "stderr"] as const) {
        if (held[stream]) record(stream, redact(held[stream]));
        held[stream] = "";
      }
    }
    // Branch, commits and pull requests become work products; the worktree hold is released.
    await res.executionWorkspaces?.afterRun(run, workspaceLease, pullRequests.found());
    const closed = await log.close();
    if (closed.droppedBytes > 0) {
      await appendRunEvent(db, run.id, {
        eventType: "log.truncated",
        level: "warn",
        message: `run log passed its cap of ${res.logStore.maxBytes} bytes: ${closed.droppedBytes} bytes of older output dropped, the newest output kept`,
        payload: { droppedBytes: closed.droppedBytes, maxBytes: res.logStore.maxBytes, keptBytes: closed.bytes },
      }).catch((error: unknown) => logger.warn("recording log truncation failed", { runId: run.id, err: error }));
    }
    const shutdown = controller.signal.aborted && controller.signal.reason === "server_shutdown";
    let outcome = mapRunOutcome(result, thrown, controller.signal.aborted && !shutdown);
    if (shutdown)
      outcome = {
        status: "failed",
        error: "Server shut down while the run was executing",
        errorCode: "server_shutdown",
        stopReason: "adapter_failed",
      };
    // Session-total usage (codex) becomes this run's own usage before anything bills it.
    result = await toRunUsage(db, run, agent.adapterType, sessionIdBefore, result).catch((error: unknown) => {
      logger.warn("usage delta failed; recording the adapter's figures", { runId: run.id, err: error });
      return result;
    });
    await finalize(run, agent, {
      run,
      agent: { id: agent.id, companyId: agent.companyId, adapterType: agent.adapterType },
      outcome,
      result,
      log: {
        logRef: log.logRef,
        bytes: closed.bytes,
        sha256: closed.sha256,
        stdoutExcerpt: tails.stdout.value() || null,
        stderrExcerpt: tails.stderr.value() || null,
      },
      timeoutSec,
      redact,
    });
  }

  return { execute, finalize, failEarly };
}
export type RunExecutor = ReturnType<typeof createRunExecutor>;
