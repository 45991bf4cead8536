import fs from "node:fs";
import path from "node:path";
import { ExecutionWorkspacePolicy, type UpdateExecutionWorkspaceBody } from "@staple/contracts";
import type { Database, Queryable } from "../db/database.js";
import type { Logger } from "../logger.js";
import type { Actor } from "../auth/actor.js";
import { assertBoard, assertCanSee, assertCompanyAccess } from "../auth/access.js";
import { recordActivity } from "../activity/record.js";
import { closedIssueSql } from "../db/predicates.js";
import { conflict, notFound } from "../errors.js";
import { decideWorkspaceMode, removesOnClose } from "./policy.js";
import { branchNameFor, worktreePathFor } from "./naming.js";
import { addWorktree, commitsSince, git, repoRoot, resolveCommit, removeWorktree } from "./git.js";
import { runWorkspaceCommand } from "./commands.js";
import type { PullRequestRef } from "./pull-requests.js";

export const WORKSPACE_COLUMNS = `id, company_id, project_id, project_workspace_id, source_issue_id, mode, strategy_type, name, status, cwd,
  repo_root, repo_url, base_ref, base_commit, branch_name, provider_type, holder_run_id, held_at, last_used_at, opened_at, closed_at,
  cleanup_eligible_at, cleanup_reason, metadata, created_at, updated_at`;

export interface ExecutionWorkspaceRow {
  id: string;
  companyId: string;
  projectId: string | null;
  projectWorkspaceId: string | null;
  sourceIssueId: string | null;
  name: string;
  status: string;
  cwd: string;
  repoRoot: string;
  repoUrl: string | null;
  baseRef: string | null;
  baseCommit: string | null;
  branchName: string;
  holderRunId: string | null;
  closedAt: Date | null;
  metadata: Record<string, unknown> | null;
  [key: string]: unknown;
}

/** A run's hold on its issue's worktree, from preparation to release. */
export interface WorkspaceLease {
  workspace: ExecutionWorkspaceRow;
  /** HEAD of the worktree when the run started: the run's commits are HEAD's ancestors not reachable from it. */
  headBefore: string;
  created: boolean;
  /** PAPERCLIP_WORKSPACE_* for the agent. */
  env: Record<string, string>;
}

export type PrepareResult =
  | { kind: "shared"; reason: string }
  | { kind: "isolated"; lease: WorkspaceLease }
  | { kind: "failed"; errorCode: string; message: string };

type Output = (stream: "stdout" | "stderr", text: string) => void;

interface IssueContext {
  id: string;
  companyId: string;
  identifier: string | null;
  title: string;
  projectId: string | null;
  policy: unknown;
  projectEnv: Record<string, string> | null;
  wsId: string | null;
  wsCwd: string | null;
  wsRepoUrl: string | null;
  wsRepoRef: string | null;
}

/**
 * Whether the workspace's holder still counts: its run is running, or was cancelled so recently
 * that its executor may still be stopping the process (a cancel marks the run ended before the
 * process has exited; the executor releases the hold once it has). The executor releases before it
 * finalizes, so a hold left on a run that ended any other way (a reaped, process-lost run) or on a
 * cancel older than that belongs to a server that died: stale, and taken over.
 */
const holderLiveSql = (ew: string) =>
  `${ew}.holder_run_id IS NOT NULL AND EXISTS (SELECT 1 FROM heartbeat_runs hr WHERE hr.id = ${ew}.holder_run_id
     AND (hr.status = 'running' OR (hr.status = 'cancelled' AND COALESCE(hr.finished_at, hr.updated_at) > now() - interval '5 minutes')))`;

export interface ExecutionWorkspaceOptions {
  db: Database;
  logger: Logger;
  home: string;
  /** Adapter types whose module declares `codingAgent: true`. */
  isCodingAdapter: (adapterType: string) => boolean;
  /** How long a run waits for another run of its issue to release the worktree (default 30 s). */
  busyWaitMs?: number;
}

export function parsePolicy(value: unknown): ExecutionWorkspacePolicy | null {
  if (value === null || value === undefined) return null;
  const parsed = ExecutionWorkspacePolicy.safeParse(value);
  return parsed.success ? parsed.data : null;
}

export function workspaceEnv(ws: ExecutionWorkspaceRow, baseCwd: string, created: boolean): Record<string, string> {
  return {
    PAPERCLIP_WORKSPACE_ID: ws.id,
    PAPERCLIP_WORKSPACE_CWD: ws.cwd,
    PAPERCLIP_WORKSPACE_PATH: ws.cwd,
    PAPERCLIP_WORKSPACE_WORKTREE_PATH: ws.cwd,
    PAPERCLIP_WORKSPACE_BRANCH: ws.branchName,
    PAPERCLIP_WORKSPACE_BASE_CWD: baseCwd,
    PAPERCLIP_WORKSPACE_REPO_ROOT: ws.repoRoot,
    PAPERCLIP_WORKSPACE_REPO_REF: ws.baseRef ?? "",
    PAPERCLIP_WORKSPACE_REPO_URL: ws.repoUrl ?? "",
    PAPERCLIP_WORKSPACE_SOURCE: "git_worktree",
    PAPERCLIP_WORKSPACE_CREATED: created ? "true" : "false",
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Execution workspaces (docs/workspaces.md): an isolated git worktree per issue, held by at most
 * one running run (the hold is a column claimed under the row lock, so two servers agree), the
 * work products a run leaves in it, and its removal once the issue is closed.
 */
export function createExecutionWorkspaces(opts: ExecutionWorkspaceOptions) {
  const { db, logger, home } = opts;
  const busyWaitMs = opts.busyWaitMs ?? 30_000;

  async function loadIssueContext(issueId: string): Promise<IssueContext | undefined> {
    const [row] = await db.query<IssueContext>(
      `SELECT i.id, i.company_id, i.identifier, i.title, i.project_id, p.execution_workspace_policy AS policy, p.env AS project_env,
              w.id AS ws_id, w.cwd AS ws_cwd, w.repo_url AS ws_repo_url, w.repo_ref AS ws_repo_ref
         FROM issues i
         LEFT JOIN projects p ON p.id = i.project_id
         LEFT JOIN LATERAL (
           SELECT w.* FROM project_workspaces w WHERE w.project_id = i.project_id AND w.cwd IS NOT NULL
            ORDER BY (w.id = i.project_workspace_id) DESC, w.is_primary DESC, w.created_at LIMIT 1
         ) w ON true
        WHERE i.id = $1`,
      [issueId],
    );
    return row;
  }

  /**
   * Claims the issue's open workspace for `runId` (creating its row on first use). Returns
   * "busy" while another running run holds it or it is being closed.
   */
  async function claim(
    runId: string,
    issue: IssueContext,
    fields: { cwd: string; repoRoot: string; branch: string; baseRef: string; name: string },
  ): Promise<ExecutionWorkspaceRow | "busy" | "raced"> {
    return db.tx(async (q) => {
      const [open] = await q.query<ExecutionWorkspaceRow & { holderLive: boolean }>(
        `SELECT ${WORKSPACE_COLUMNS}, (${holderLiveSql("ew")}) AS holder_live
           FROM execution_workspaces ew WHERE source_issue_id = $1 AND closed_at IS NULL FOR UPDATE`,
        [issue.id],
      );
      if (open) {
        if (open.status === "archived") return "busy"; // being closed; the directory may be half removed
        if (open.holderLive && open.holderRunId !== runId) return "busy";
        const [held] = await q.query<ExecutionWorkspaceRow>(
          `UPDATE execution_workspaces SET holder_run_id = $2, held_at = now(), last_used_at = now(), status = 'active', updated_at = now()
            WHERE id = $1 RETURNING ${WORKSPACE_COLUMNS}`,
          [open.id, runId],
        );
        return held!;
      }
      const [inserted] = await q.query<ExecutionWorkspaceRow>(
        `INSERT INTO execution_workspaces (company_id, project_id, project_workspace_id, source_issue_id, name, cwd, repo_root, repo_url,
                                           base_ref, branch_name, holder_run_id, held_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
         ON CONFLICT DO NOTHING RETURNING ${WORKSPACE_COLUMNS}`,
        [
          issue.companyId,
          issue.projectId,
          issue.wsId,
          issue.id,
          fields.name,
          fields.cwd,
          fields.repoRoot,
          issue.wsRepoUrl,
          fields.baseRef,
          fields.branch,
          runId,
        ],
      );
      if (!inserted) return "raced";
      await recordActivity(q, {
        companyId: issue.companyId,
        actor: "system",
        action: "execution_workspace.created",
        entityType: "execution_workspace",
        entityId: inserted.id,
        runId,
        details: { issueId: issue.id, branchName: fields.branch, cwd: fields.cwd },
      });
      return inserted;
    });
  }

  async function release(workspaceId: string, runId: string): Promise<void> {
    await db.query(
      `UPDATE execution_workspaces SET holder_run_id = NULL, held_at = NULL, status = 'idle', last_used_at = now(), updated_at = now()
        WHERE id = $1 AND holder_run_id = $2`,
      [workspaceId, runId],
    );
  }

  async function setMetadata(workspaceId: string, patch: Record<string, unknown>, extraSets = ""): Promise<void> {
    await db.query(
      `UPDATE execution_workspaces SET metadata = COALESCE(metadata, '{}'::jsonb) || $2::jsonb${extraSets}, updated_at = now() WHERE id = $1`,
      [workspaceId, JSON.stringify(patch)],
    );
  }

  /**
   * Prepares the run's working directory. `shared` keeps today's behaviour (the caller picks the
   * project directory or the agent home); `isolated` hands back a held worktree; `failed` ends the
   * run with its error code before the adapter starts.
   */
  async function prepareForRun(run: { id: string; issueId: string | null }, adapterType: string, onOutput: Output): Promise<PrepareResult> {
    const issue = run.issueId ? await loadIssueContext(run.issueId) : undefined;
    const policy = parsePolicy(issue?.policy);
    const baseCwd = issue?.wsCwd && fs.existsSync(issue.wsCwd) ? issue.wsCwd : null;
    const decision = decideWorkspaceMode({
      hasIssue: Boolean(issue),
      hasProjectWorkspace: Boolean(baseCwd),
      policy,
      adapterType,
      adapterIsCoding: opts.isCodingAdapter(adapterType),
    });
    if (decision.mode === "shared") return { kind: "shared", reason: decision.reason };
    const root = await repoRoot(baseCwd!);
    if (!root) return { kind: "shared", reason: "not_a_git_repository" };
    const iss = issue!;
    const branch = branchNameFor(iss, policy?.workspaceStrategy?.branchTemplate);
    if (!branch) {
      return {
        kind: "failed",
        errorCode: "execution_workspace_branch_invalid",
        message:
          "The project's branch template does not give a valid git branch name. Fix: use letters, digits, '-', '_', '/', {identifier} and {slug}.",
      };
    }
    const baseRef = policy?.workspaceStrategy?.baseRef ?? iss.wsRepoRef ?? "HEAD";
    const fields = { cwd: worktreePathFor(home, iss.companyId, iss.id), repoRoot: root, branch, baseRef, name: branch };

    // Bounded wait for another run of the issue (a mention, a review) to leave the worktree.
    const deadline = Date.now() + busyWaitMs;
    let ws: ExecutionWorkspaceRow | undefined;
    for (let attempt = 0; attempt < 1000; attempt++) {
      const claimed = await claim(run.id, iss, fields);
      if (typeof claimed !== "string") {
        ws = claimed;
        break;
      }
      if (claimed === "busy" && Date.now() >= deadline) break;
      if (claimed === "busy") await sleep(500);
    }
    if (!ws) {
      return {
        kind: "failed",
        errorCode: "execution_workspace_busy",
        message: `Another run is working in this issue's worktree (${fields.cwd}); two runs never share a working directory. The run can be retried once it ends.`,
      };
    }

    let created = false;
    try {
      if (!(await isWorktree(ws.cwd))) {
        if (fs.existsSync(ws.cwd) && fs.readdirSync(ws.cwd).length > 0) {
          await release(ws.id, run.id);
          return {
            kind: "failed",
            errorCode: "execution_workspace_path_conflict",
            message: `${ws.cwd} exists and is not a git worktree of ${ws.repoRoot}. Fix: move it away; Staple never deletes a directory it did not create.`,
          };
        }
        fs.mkdirSync(path.dirname(ws.cwd), { recursive: true });
        await git(ws.repoRoot, ["worktree", "prune"]).catch(() => {});
        const baseCommit = await resolveCommit(ws.repoRoot, ws.baseRef ?? "HEAD");
        await addWorktree(ws.repoRoot, ws.cwd, ws.branchName, baseCommit);
        await db.query("UPDATE execution_workspaces SET base_commit = COALESCE(base_commit, $2), updated_at = now() WHERE id = $1", [
          ws.id,
          baseCommit,
        ]);
        ws.baseCommit ??= baseCommit;
        created = true;
        onOutput("stdout", `[staple] created worktree ${ws.cwd} on branch ${ws.branchName} from ${ws.baseRef ?? "HEAD"}\n`);
      } else {
        onOutput("stdout", `[staple] reusing worktree ${ws.cwd} on branch ${ws.branchName}\n`);
      }
    } catch (error) {
      await release(ws.id, run.id);
      return { kind: "failed", errorCode: "execution_workspace_git_failed", message: (error as Error).message };
    }

    const env = workspaceEnv(ws, baseCwd!, created);
    const setup = policy?.workspaceStrategy?.provisionCommand;
    if (setup && !ws.metadata?.provisionedAt) {
      onOutput("stdout", `[staple] setup: ${setup}\n`);
      const result = await runWorkspaceCommand(setup, ws.cwd, { ...(iss.projectEnv ?? {}), ...env }, onOutput);
      if (result.exitCode !== 0) {
        await release(ws.id, run.id);
        const how = result.timedOut
          ? "timed out"
          : result.exitCode === null
            ? `ended by ${result.signal ?? "an error"}`
            : `exited with code ${result.exitCode}`;
        return {
          kind: "failed",
          errorCode: "execution_workspace_setup_failed",
          message: `The project's workspace setup command ${how}; see the run log. It runs again on the next run of the issue.`,
        };
      }
      await setMetadata(ws.id, { provisionedAt: new Date().toISOString() });
    }
    const headBefore = await resolveCommit(ws.cwd, "HEAD");
    return { kind: "isolated", lease: { workspace: ws, headBefore, created, env } };
  }

  async function isWorktree(dir: string): Promise<boolean> {
    if (!fs.existsSync(path.join(dir, ".git"))) return false;
    return (await repoRoot(dir)) !== null;
  }

  /**
   * Records what the run left (the branch, its commits, pull requests it printed) as work products
   * of the issue, releases its hold, and closes the worktree if the issue closed meanwhile. Never
   * throws: a failure here must not change the run's outcome.
   */
  async function afterRun(run: { id: string; issueId: string | null }, lease: WorkspaceLease | null, pullRequests: PullRequestRef[]) {
    try {
      if (run.issueId) await recordWorkProducts(run.id, run.issueId, lease, pullRequests);
    } catch (error) {
      logger.warn("recording work products failed", { runId: run.id, err: error });
    }
    if (!lease) return;
    try {
      await release(lease.workspace.id, run.id);
      await cleanupClosed(run.issueId);
    } catch (error) {
      logger.warn("releasing the execution workspace failed", { runId: run.id, err: error });
    }
  }

  async function recordWorkProducts(runId: string, issueId: string, lease: WorkspaceLease | null, pullRequests: PullRequestRef[]) {
    const [issue] = await db.query<{ companyId: string; projectId: string | null }>(
      "SELECT company_id, project_id FROM issues WHERE id = $1",
      [issueId],
    );
    if (!issue) return;
    const products: Array<{
      type: string;
      provider: string;
      externalId: string;
      title: string;
      url: string | null;
      summary: string | null;
    }> = [];
    if (lease) {
      const ws = lease.workspace;
      const commits = await commitsSince(ws.cwd, lease.headBefore);
      if (commits.length > 0) {
        products.push({
          type: "branch",
          provider: "git",
          externalId: ws.branchName,
          title: ws.branchName,
          url: null,
          summary: `Branch of ${ws.cwd}`,
        });
        for (const c of commits) {
          products.push({
            type: "commit",
            provider: "git",
            externalId: c.sha,
            title: c.subject.slice(0, 500) || c.sha.slice(0, 12),
            url: null,
            summary: `${c.sha.slice(0, 12)} on ${ws.branchName}`,
          });
        }
      }
    }
    for (const pr of pullRequests) {
      const title = pr.provider === "github" ? `Pull request #${pr.number}` : `Merge request !${pr.number}`;
      products.push({ type: "pull_request", provider: pr.provider, externalId: pr.externalId, title, url: pr.url, summary: null });
    }
    if (products.length === 0) return;
    await db.tx(async (q) => {
      let recorded = 0;
      for (const p of products) {
        // Deduplicated per issue by (type, external id), and a pull request also by its URL (one
        // an agent reported through the API has no external id).
        const rows = await q.query(
          `INSERT INTO issue_work_products (company_id, issue_id, project_id, type, provider, external_id, title, url, summary, metadata,
                                            created_by_run_id, execution_workspace_id)
           SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12
            WHERE NOT EXISTS (SELECT 1 FROM issue_work_products w WHERE w.issue_id = $2 AND w.type = $4
                                AND (w.external_id = $6 OR ($8::text IS NOT NULL AND w.url = $8)))
           RETURNING id`,
          [
            issue.companyId,
            issueId,
            issue.projectId,
            p.type,
            p.provider,
            p.externalId,
            p.title,
            p.url,
            p.summary,
            JSON.stringify({ source: "staple_auto" }),
            runId,
            lease?.workspace.id ?? null,
          ],
        );
        recorded += rows.length;
      }
      if (recorded > 0) {
        await recordActivity(q, {
          companyId: issue.companyId,
          actor: "system",
          action: "issue.work_products_recorded",
          entityType: "issue",
          entityId: issueId,
          runId,
          details: { count: recorded },
        });
      }
    });
  }

  /**
   * Closes one workspace: marks it `archived` (nobody can claim it any more) only when no running
   * run holds it, runs the teardown command, removes the worktree (the branch stays), and stamps
   * `closed_at`. Returns false while a run holds it (the caller retries on a later pass).
   */
  async function closeOne(workspaceId: string, reason: string, actor: Actor | "system"): Promise<boolean> {
    const [ws] = await db.tx(async (q) => {
      const rows = await q.query<ExecutionWorkspaceRow & { policy: unknown; projectEnv: Record<string, string> | null }>(
        `UPDATE execution_workspaces ew SET status = 'archived', holder_run_id = NULL, held_at = NULL, cleanup_reason = $2,
                cleanup_eligible_at = COALESCE(cleanup_eligible_at, now()), updated_at = now()
          WHERE ew.id = $1 AND ew.closed_at IS NULL
            AND (ew.status <> 'archived' OR ew.updated_at < now() - interval '10 minutes')
            AND NOT (${holderLiveSql("ew")})
          RETURNING ${WORKSPACE_COLUMNS},
                    (SELECT p.execution_workspace_policy FROM projects p WHERE p.id = ew.project_id) AS policy,
                    (SELECT p.env FROM projects p WHERE p.id = ew.project_id) AS project_env`,
        [workspaceId, reason],
      );
      if (rows[0]) {
        await recordActivity(q, {
          companyId: rows[0].companyId,
          actor,
          action: "execution_workspace.closed",
          entityType: "execution_workspace",
          entityId: workspaceId,
          details: { issueId: rows[0].sourceIssueId, reason, branchName: rows[0].branchName },
        });
      }
      return rows;
    });
    if (!ws) return false;
    const policy = parsePolicy(ws.policy);
    if (!removesOnClose(policy)) {
      await setMetadata(ws.id, { kept: true }, ", closed_at = now()");
      return true;
    }
    const log: string[] = [];
    try {
      const teardown = policy?.workspaceStrategy?.teardownCommand;
      if (teardown && fs.existsSync(ws.cwd)) {
        const result = await runWorkspaceCommand(
          teardown,
          ws.cwd,
          { ...(ws.projectEnv ?? {}), ...workspaceEnv(ws, ws.repoRoot, false) },
          (_s, t) => log.push(t),
        );
        if (result.exitCode !== 0) logger.warn("workspace teardown command failed", { workspaceId: ws.id, exitCode: result.exitCode });
      }
      if (fs.existsSync(ws.cwd)) await removeWorktree(ws.repoRoot, ws.cwd);
      await setMetadata(ws.id, { teardownOutput: log.join("").slice(-4000) || null }, ", closed_at = now()");
    } catch (error) {
      logger.warn("removing the worktree failed", { workspaceId: ws.id, err: error });
      await setMetadata(ws.id, { cleanupError: (error as Error).message.slice(0, 2000) }, ", status = 'cleanup_failed', closed_at = now()");
    }
    return true;
  }

  /**
   * The cleanup pass: closes open workspaces of closed (done/cancelled) or deleted issues, bounded
   * per pass; a workspace a run still holds is skipped and retried by the next pass.
   */
  async function cleanupClosed(issueId: string | null = null): Promise<number> {
    const due = await db.query<{ id: string }>(
      `SELECT ew.id FROM execution_workspaces ew LEFT JOIN issues i ON i.id = ew.source_issue_id
        WHERE ew.closed_at IS NULL AND ($1::uuid IS NULL OR ew.source_issue_id = $1)
          AND (i.id IS NULL OR ${closedIssueSql("i")} OR ew.status = 'archived')
        ORDER BY ew.updated_at LIMIT 20`,
      [issueId],
    );
    let closed = 0;
    for (const { id } of due) if (await closeOne(id, "issue_closed", "system")) closed++;
    return closed;
  }

  async function visible(actor: Actor, id: string, q: Queryable = db): Promise<ExecutionWorkspaceRow> {
    const [ws] = /^[0-9a-f-]{36}$/i.test(id)
      ? await q.query<ExecutionWorkspaceRow>(`SELECT ${WORKSPACE_COLUMNS} FROM execution_workspaces WHERE id = $1`, [id])
      : [];
    if (!ws) throw notFound("Execution workspace not found");
    assertCanSee(actor, ws.companyId, "Execution workspace");
    return ws;
  }

  return {
    prepareForRun,
    afterRun,
    cleanupClosed,

    async list(actor: Actor, companyId: string, query: { issueId?: string; projectId?: string; status?: string }) {
      assertCompanyAccess(actor, companyId);
      return db.query<ExecutionWorkspaceRow>(
        `SELECT ${WORKSPACE_COLUMNS} FROM execution_workspaces
          WHERE company_id = $1 AND ($2::uuid IS NULL OR source_issue_id = $2) AND ($3::uuid IS NULL OR project_id = $3)
            AND ($4::text IS NULL OR status = $4)
          ORDER BY created_at DESC, id LIMIT 500`,
        [companyId, query.issueId ?? null, query.projectId ?? null, query.status ?? null],
      );
    },

    get: (actor: Actor, id: string) => visible(actor, id),

    /** Closing by hand (PATCH status=archived): refused with 409 while a run works in it. */
    async close(actor: Actor, id: string, body: UpdateExecutionWorkspaceBody) {
      const ws = await visible(actor, id);
      assertBoard(actor);
      if (!ws.closedAt) {
        const done = await closeOne(ws.id, body.cleanupReason ?? "closed_by_board", actor);
        if (!done) {
          throw conflict(
            "A run is working in this workspace; close it when the run ends",
            { holderRunId: ws.holderRunId },
            "execution_workspace_busy",
          );
        }
      }
      return visible(actor, id);
    },
  };
}
export type ExecutionWorkspaces = ReturnType<typeof createExecutionWorkspaces>;
