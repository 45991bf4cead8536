import { CHECKOUT_FROM_ISSUE_STATUSES, HARNESS_CHECKOUT_ISSUE_STATUSES } from "@staple/contracts";
import path from "node:path";
import type { AdapterRuntime } from "@staple/adapter-kit";
import { signAgentJwt } from "../auth/agent-jwt.js";
import type { AgentActor } from "../auth/actor.js";
import { DomainError } from "../errors.js";
import { combineOutboundAllow, STORED_OUTBOUND_ALLOW_SQL } from "../instance/outbound-allow.js";
import { grantedSecretIdsSql, resolveRunSecrets, SecretRefError } from "../secrets/run-secrets.js";
import { buildAgentEnv } from "./agent-env.js";
import { localLeaseCtes } from "./environment-leases.js";
import { LIVE_CHANNEL } from "../live/bus.js";
import { buildPrompt, loadPromptInput, readInstructionsFile } from "./prompt.js";
import type { RunEngineResources } from "./resources.js";
import type { RunRow } from "./rows.js";
import { appendRunEvent } from "./run-events.js";
import { installSkill } from "./skill.js";
import { obj, str } from "./wake-context.js";

/**
 * Preparing a claimed run for its adapter, shared by the two places a run executes: this server
 * (execute.ts) and a runner on another machine (runners/work.ts answers it as an execution packet).
 * Only where the run executes differs (`RunPlace`); the token, secrets, session, harness checkout,
 * environment, prompt and the "run started" record are prepared here once for both.
 */

export interface AgentForRun {
  id: string;
  companyId: string;
  name: string;
  role: string;
  title: string | null;
  status: string;
  adapterType: string;
  adapterConfig: Record<string, unknown>;
  /** The saved adapter session of this run's task, if any (joined in the same query). */
  sessionParamsJson: Record<string, unknown> | null;
  sessionDisplayId: string | null;
  /** The secrets granted to the agent (joined in the same query; resolveRunSecrets decrypts them). */
  grantedSecretIds: string[];
}

/** Adapters that take a prompt on stdin (coding-agent CLIs); process and http agents get none. */
const PROMPTED_ADAPTERS = new Set(["claude_local", "codex_local", "gemini_local", "opencode_local", "cursor", "acp_local"]);

/** Wake reasons that always start a fresh adapter session (docs/runs.md#executing-a-run). */
const FRESH_SESSION_REASONS = new Set([
  "issue_assigned",
  "execution_review_requested",
  "execution_approval_requested",
  "execution_changes_requested",
]);

/** The first half: the agent, its config with secret refs resolved, the timeout and the run token. */
export type RunSetup =
  | { kind: "failed"; agent: AgentForRun | undefined; error: string; errorCode: string }
  | {
      kind: "ready";
      agent: AgentForRun;
      /** The adapter config with secret_ref entries resolved (never stored). */
      config: Record<string, unknown>;
      timeoutSec: number;
      token: string;
      /** Values to redact: the run token first, then the resolved secrets. */
      secrets: string[];
    };

/**
 * The agent of a run as its execution needs it, as one jsonb value with AgentForRun's keys: the
 * agent, the saved session of the run's task and the agent's granted secrets. The claim reads it
 * for each run it claims, in its final statement (claim.ts), so a run claimed here costs no
 * statement for it; `setupRun` reads it itself when not given (a runner's packet, a test). It is
 * then the agent as of the claim, whose transaction holds the agent's row lock while it reads it.
 */
export function agentForRunSql(agentId: string, taskKey: string): string {
  return `(SELECT jsonb_build_object('id', a.id, 'companyId', a.company_id, 'name', a.name, 'role', a.role, 'title', a.title,
                 'status', a.status, 'adapterType', a.adapter_type, 'adapterConfig', a.adapter_config,
                 'sessionParamsJson', s.session_params_json, 'sessionDisplayId', s.session_display_id,
                 'grantedSecretIds', to_jsonb(${grantedSecretIdsSql("a")}))
      FROM agents a
      LEFT JOIN agent_task_sessions s ON s.agent_id = a.id AND s.adapter_type = a.adapter_type AND s.task_key = ${taskKey}
     WHERE a.id = ${agentId})`;
}

async function loadAgent(res: RunEngineResources, run: RunRow): Promise<AgentForRun | undefined> {
  const [row] = await res.db.query<{ agent: AgentForRun | null }>(`SELECT ${agentForRunSql("$1::uuid", "$2::text")} AS agent`, [
    run.agentId,
    run.taskKey ?? "",
  ]);
  return row?.agent ?? undefined;
}

/**
 * Loads the agent (unless the claim read it: `opts.agent`), resolves its secret refs and signs the
 * run token. `requireLocalAdapter`: this server must have the agent's adapter (a runner brings its
 * own, matched at claim time).
 */
export async function setupRun(
  res: RunEngineResources,
  run: RunRow,
  opts: { requireLocalAdapter: boolean; agent?: AgentForRun | null },
): Promise<RunSetup> {
  // null: the claim found no agent row (it was deleted); undefined: not read yet.
  const agent = opts.agent === undefined ? await loadAgent(res, run) : (opts.agent ?? undefined);
  if (!agent) return { kind: "failed", agent, error: "Agent not found", errorCode: "agent_not_found" };
  const adapter = res.adapters[agent.adapterType];
  if (!adapter && opts.requireLocalAdapter)
    return {
      kind: "failed",
      agent,
      error: `Adapter "${agent.adapterType}" is not available on this server`,
      errorCode: "adapter_unavailable",
    };
  // secret_ref env entries become their values here (never stored); an unknown or ungranted ref ends the run.
  let resolved: Awaited<ReturnType<typeof resolveRunSecrets>>;
  try {
    resolved = await resolveRunSecrets(res.db, agent, agent.adapterConfig ?? {}, agent.grantedSecretIds);
  } catch (error) {
    if (error instanceof SecretRefError) return { kind: "failed", agent, error: error.message, errorCode: error.code };
    throw error;
  }
  const config = resolved.config;
  const timeoutSec = typeof config.timeoutSec === "number" ? config.timeoutSec : (adapter?.defaultTimeoutSec ?? 0);
  const token = signAgentJwt(
    { agentId: agent.id, companyId: agent.companyId, adapterType: agent.adapterType, runId: run.id },
    res.jwt.secret,
    res.jwt.ttlSeconds,
  );
  return { kind: "ready", agent, config, timeoutSec, token, secrets: [token, ...resolved.redact] };
}

function resolveSession(run: RunRow, agent: AgentForRun): Omit<AdapterRuntime, "taskKey"> {
  const ctx = obj(run.contextSnapshot);
  if (ctx.forceFreshSession === true || FRESH_SESSION_REASONS.has(str(ctx.wakeReason) ?? "") || !run.taskKey || !agent.sessionParamsJson) {
    return { sessionId: null, sessionParams: null, sessionDisplayId: null };
  }
  const params = agent.sessionParamsJson;
  return { sessionId: str(params.sessionId), sessionParams: params, sessionDisplayId: agent.sessionDisplayId };
}

/** Harness checkout: the assignee's run takes the issue before the agent starts (docs/issues.md#checkout). */
async function harnessCheckout(res: RunEngineResources, run: RunRow, agent: AgentForRun): Promise<boolean | null> {
  const ctx = obj(run.contextSnapshot);
  const reason = str(ctx.wakeReason);
  if (!run.issueId || !reason || reason === "issue_comment_mentioned" || reason.startsWith("execution_")) return null;
  const [issue] = await res.db.query<{ status: string; assigneeAgentId: string | null }>(
    "SELECT status, assignee_agent_id FROM issues WHERE id = $1",
    [run.issueId],
  );
  if (!issue || issue.assigneeAgentId !== agent.id || !(HARNESS_CHECKOUT_ISSUE_STATUSES as readonly string[]).includes(issue.status))
    return null;
  const actor: AgentActor = { kind: "agent", agentId: agent.id, companyId: agent.companyId, via: "run_jwt", keyId: null, runId: run.id };
  try {
    await res.issueExecution.checkout(actor, run.issueId, { agentId: agent.id, expectedStatuses: [...CHECKOUT_FROM_ISSUE_STATUSES] });
    return true;
  } catch (error) {
    if (error instanceof DomainError) return false; // blocked or held: the agent sees it in its context
    throw error;
  }
}

/** Where the run executes: this server's workspace, or paths on a runner's machine. */
export interface RunPlace {
  cwd: string;
  /** The adapter config as the adapter gets it (a worktree run has its cwd rebased). */
  runConfig: Record<string, unknown>;
  workspaceEnv: Record<string, string> | null;
  /** AGENT_HOME. */
  agentHome: string;
  /** Where the agent skill is installed for prompted adapters: this server's home, or the runner's (it installs it). */
  skillsDir: () => string;
  /** Instructions files are read from this machine's disk; a runner's disk is not readable here. */
  readInstructions: boolean;
  /** Extra fields of the "run started" event (e.g. the runner). */
  startedPayload?: Record<string, unknown>;
  /**
   * The run takes an `ephemeral` lease on the company's local environment, in the same statement
   * as its "run started" record (runs on this server; a runner's environment is its own machine).
   */
  localLease?: boolean;
}

export interface PreparedInvocation {
  runtime: AdapterRuntime;
  context: Record<string, unknown>;
  env: Record<string, string>;
  prompt: string | null;
  outboundAllow: string[];
  cwd: string;
  runConfig: Record<string, unknown>;
  sessionIdBefore: string | null;
}

/**
 * The second half: session, harness checkout, context, environment (PAPERCLIP_API_URL is this
 * server's URL for agents), the "run started" event and live status, prompt and outbound allow-list.
 * `place` decides where the run executes once the checkout is done (it may throw to end the run).
 */
export async function prepareInvocation(
  res: RunEngineResources,
  run: RunRow,
  setup: Extract<RunSetup, { kind: "ready" }>,
  place: (context: Record<string, unknown>) => Promise<RunPlace>,
): Promise<PreparedInvocation> {
  const { db } = res;
  const { agent, token } = setup;
  const session = resolveSession(run, agent);
  const checkedOut = await harnessCheckout(res, run, agent);
  const context: Record<string, unknown> = {
    ...obj(run.contextSnapshot),
    ...(checkedOut === null ? {} : { paperclipHarnessCheckedOut: checkedOut }),
  };
  const where = await place(context);
  const { cwd, runConfig } = where;
  const [project] = run.issueId
    ? await db.query<{ env: Record<string, string> | null }>(
        "SELECT p.env FROM issues i JOIN projects p ON p.id = i.project_id WHERE i.id = $1",
        [run.issueId],
      )
    : [];
  const env = buildAgentEnv({
    agent,
    runId: run.id,
    apiUrl: res.apiUrl,
    token,
    context,
    agentHome: where.agentHome,
    projectEnv: project?.env ?? null,
    workspaceEnv: where.workspaceEnv,
  });
  // The "run started" event, the environment lease of a local run and the board's outbound
  // allow-list (read per run, so a change applies to the next run without a restart): one statement.
  // The board hears of it from the same statement (when anyone listens).
  const live = res.live.text("heartbeat.run.status", run.companyId, {
    runId: run.id,
    agentId: run.agentId,
    status: "running",
    startedAt: run.startedAt?.toISOString() ?? null,
  });
  const lease = where.localLease
    ? `, ${localLeaseCtes({ company: "$4::uuid", run: "$1::uuid", agent: "$5::text", issue: "$6::uuid" })}`
    : "";
  const announce = live ? `, pg_notify('${LIVE_CHANNEL}', $${where.localLease ? 7 : 4}::text) AS announced` : "";
  const [started] = await db.query<{ outboundAllow: string[] | null }>(
    `WITH r AS (UPDATE heartbeat_runs SET session_id_before = $2, event_seq = event_seq + 1, updated_at = now() WHERE id = $1
                 RETURNING company_id, agent_id, event_seq),
          ev AS (INSERT INTO heartbeat_run_events (company_id, run_id, agent_id, seq, event_type, stream, level, message, payload)
                 SELECT company_id, $1, agent_id, event_seq, 'lifecycle', 'system', 'info', 'run started', $3::jsonb FROM r)${lease}
     SELECT (${STORED_OUTBOUND_ALLOW_SQL}) AS outbound_allow${announce}`,
    [
      run.id,
      session.sessionId,
      JSON.stringify({ adapterType: agent.adapterType, cwd, ...where.startedPayload }),
      ...(where.localLease ? [run.companyId, run.agentId, run.issueId] : []),
      ...(live ? [live] : []),
    ],
  );

  const prompted = PROMPTED_ADAPTERS.has(agent.adapterType);
  if (prompted) context.skillsDir = where.skillsDir();
  const instructions =
    prompted && where.readInstructions && agent.adapterType !== "claude_local"
      ? readInstructionsFile(
          runConfig,
          typeof runConfig.cwd === "string" && runConfig.cwd ? path.resolve(cwd ?? process.cwd(), runConfig.cwd) : cwd,
        )
      : null;
  if (instructions && "error" in instructions) {
    await appendRunEvent(db, run.id, {
      eventType: "adapter.warning",
      level: "warn",
      message: `instructions file not read: ${instructions.path}: ${instructions.error}`,
    });
  }
  const prompt = prompted
    ? buildPrompt({
        ...(await loadPromptInput(db, run, { ...agent, role: agent.role, title: agent.title }, Boolean(session.sessionId))),
        skillPath: path.join(String(context.skillsDir), "staple", "SKILL.md"),
        instructions: instructions && "text" in instructions ? instructions : null,
      })
    : null;
  const outboundAllow = combineOutboundAllow(res.outboundEnvAllow, started?.outboundAllow ?? null);
  return {
    runtime: { ...session, taskKey: run.taskKey },
    context,
    env,
    prompt,
    outboundAllow,
    cwd,
    runConfig,
    sessionIdBefore: session.sessionId,
  };
}

/** The local place of a run on this server (its skill install lives in the server's home). */
export const localSkillsDir = (res: RunEngineResources) => () => installSkill(res.home);
