import { randomBytes } from "node:crypto";
import {
  isUuid,
  ROUTINE_REPLAY_WINDOW_DEFAULT_SEC,
  type CreateRoutineBody,
  type CreateRoutineTriggerBody,
  type Routine,
  type RoutineRun,
  type RoutineTrigger,
  type RoutineTriggerWithSecret,
  type RunRoutineBody,
  type UpdateRoutineBody,
  type UpdateRoutineTriggerBody,
} from "@staple/contracts";
import type { Database, Queryable } from "../db/database.js";
import { conflict, forbidden, notFound, ruleViolation, unauthenticated } from "../errors.js";
import { actorStamp, type Actor } from "../auth/actor.js";
import { assertCanSee, assertCompanyAccess } from "../auth/access.js";
import { recordActivity } from "../activity/record.js";
import type { IssueMutationHooks } from "../issues/hooks.js";
import type { Logger } from "../logger.js";
import { nextTick, parseSchedule } from "./cron.js";
import { dispatchFire, dispatchReceived } from "./dispatch.js";
import { findRoutine, findRun, ROUTINE_COLUMNS, RUN_SELECT, TRIGGER_COLUMNS, triggersOf, type RoutineRow } from "./rows.js";
import { claimDueTicks } from "./schedule.js";
import { verifyWebhook, type SignedRequest, type WebhookSecrets } from "./webhook-secret.js";

export interface RoutineServiceDeps {
  db: Database;
  logger: Logger;
  /** The issue hooks of the normal create path: a new execution issue wakes its assignee. */
  issueHooks: IssueMutationHooks;
  secrets: WebhookSecrets;
  clock: { now(): Date };
  /** The server's public base URL (known once it listens). */
  apiUrl(): string;
}

/**
 * Routines: CRUD with Paperclip's authorization (agents read their company's routines and manage
 * only those assigned to themselves; the board manages all), manual/API runs, signed public
 * webhook fires, and the schedule pass the run engine's periodic scheduler calls.
 */
export function createRoutineService(deps: RoutineServiceDeps) {
  const { db, secrets, clock } = deps;

  async function visible(actor: Actor, id: string): Promise<RoutineRow> {
    const routine = isUuid(id) ? await findRoutine(db, id) : undefined;
    if (!routine) throw notFound("Routine not found");
    assertCanSee(actor, routine.companyId, "Routine");
    return routine;
  }

  function assertCanManage(actor: Actor, routine: { assigneeAgentId: string | null }) {
    if (actor.kind === "agent" && routine.assigneeAgentId !== actor.agentId) {
      throw forbidden("Agents may manage only routines assigned to themselves", "routine_not_own");
    }
  }

  async function managed(actor: Actor, id: string): Promise<RoutineRow> {
    const routine = await visible(actor, id);
    assertCanManage(actor, routine);
    return routine;
  }

  async function visibleTrigger(actor: Actor, triggerId: string): Promise<{ trigger: RoutineTrigger; routine: RoutineRow }> {
    const [trigger] = isUuid(triggerId)
      ? await db.query<RoutineTrigger>(`SELECT ${TRIGGER_COLUMNS} FROM routine_triggers WHERE id = $1`, [triggerId])
      : [];
    if (!trigger) throw notFound("Routine trigger not found");
    assertCanSee(actor, trigger.companyId, "Routine trigger");
    const routine = (await findRoutine(db, trigger.routineId))!;
    assertCanManage(actor, routine);
    return { trigger, routine };
  }

  async function withTriggers(q: Queryable, rows: RoutineRow[]): Promise<Routine[]> {
    const triggers = await triggersOf(
      q,
      rows.map((r) => r.id),
    );
    return rows.map((r) => ({ ...r, triggers: triggers.get(r.id) ?? [] }));
  }

  async function checkReferences(q: Queryable, companyId: string, body: Partial<CreateRoutineBody>) {
    if (body.assigneeAgentId) {
      const [agent] = await q.query<{ companyId: string; status: string }>("SELECT company_id, status FROM agents WHERE id = $1", [
        body.assigneeAgentId,
      ]);
      if (!agent || agent.companyId !== companyId) throw notFound("Agent not found");
      if (agent.status === "terminated")
        throw ruleViolation("Cannot assign a routine to a terminated agent", undefined, "assignee_terminated");
    }
    const refs: [string | null | undefined, string, string][] = [
      [body.projectId, "projects", "Project"],
      [body.goalId, "goals", "Goal"],
      [body.parentIssueId, "issues", "Parent issue"],
    ];
    for (const [id, table, what] of refs) {
      if (!id) continue;
      const [row] = await q.query<{ companyId: string }>(`SELECT company_id FROM ${table} WHERE id = $1`, [id]);
      if (!row || row.companyId !== companyId) throw notFound(`${what} not found`);
    }
  }

  /** Schedule triggers fire only while both they and their routine are active. */
  function nextRunFor(t: { cronExpression: string | null; timezone: string | null; enabled: boolean }, routineStatus: string) {
    if (!t.enabled || routineStatus !== "active" || !t.cronExpression || !t.timezone) return null;
    return nextTick({ cronExpression: t.cronExpression, timezone: t.timezone }, clock.now());
  }

  function webhookUrl(publicId: string) {
    return `${deps.apiUrl().replace(/\/+$/, "")}/api/routine-triggers/public/${publicId}/fire`;
  }

  /** Inserts a manual/API/webhook fire (or finds the one its idempotency key names) and dispatches it. */
  async function fire(
    q: Queryable,
    routine: RoutineRow,
    f: { triggerId: string | null; source: string; payload: unknown; idempotencyKey: string | null; skipReason?: string },
    actor: Actor | "system",
  ): Promise<RoutineRun> {
    const [inserted] = await q.query<{ id: string }>(
      `INSERT INTO routine_runs (company_id, routine_id, trigger_id, source, status, triggered_at, idempotency_key, trigger_payload,
                                 failure_reason, completed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, CASE WHEN $5 = 'received' THEN NULL ELSE now() END)
       ON CONFLICT DO NOTHING RETURNING id`,
      [
        routine.companyId,
        routine.id,
        f.triggerId,
        f.source,
        f.skipReason ? "skipped" : "received",
        clock.now().toISOString(),
        f.idempotencyKey,
        f.payload === undefined || f.payload === null ? null : JSON.stringify(f.payload),
        f.skipReason ?? null,
      ],
    );
    if (!inserted) {
      // The idempotency key names an earlier fire: answer with it, create nothing.
      const [existing] = await q.query<RoutineRun>(`${RUN_SELECT} WHERE r.routine_id = $1 AND r.idempotency_key = $2`, [
        routine.id,
        f.idempotencyKey,
      ]);
      return existing!;
    }
    if (f.skipReason) {
      await recordActivity(q, {
        companyId: routine.companyId,
        actor,
        action: "routine.run_triggered",
        entityType: "routine_run",
        entityId: inserted.id,
        details: { routineId: routine.id, source: f.source, status: "skipped", reason: f.skipReason },
      });
    } else {
      await dispatchFire(q, deps.issueHooks, inserted.id, actor);
    }
    return (await findRun(q, inserted.id))!;
  }

  return {
    async list(actor: Actor, companyId: string): Promise<Routine[]> {
      assertCompanyAccess(actor, companyId);
      const rows = await db.query<RoutineRow>(`SELECT ${ROUTINE_COLUMNS} FROM routines WHERE company_id = $1 ORDER BY created_at, id`, [
        companyId,
      ]);
      return withTriggers(db, rows);
    },

    async get(actor: Actor, id: string): Promise<Routine> {
      return (await withTriggers(db, [await visible(actor, id)]))[0]!;
    },

    async create(actor: Actor, companyId: string, body: CreateRoutineBody): Promise<Routine> {
      assertCompanyAccess(actor, companyId);
      if (actor.kind === "agent" && body.assigneeAgentId !== actor.agentId) {
        throw forbidden("Agents may create routines only for themselves", "routine_not_own");
      }
      await checkReferences(db, companyId, body);
      const stamp = actorStamp(actor);
      return db.tx(async (q) => {
        const [row] = await q.query<RoutineRow>(
          `INSERT INTO routines (company_id, project_id, goal_id, parent_issue_id, title, description, assignee_agent_id, priority,
                                 status, concurrency_policy, catch_up_policy, created_by_agent_id, created_by_user_id,
                                 updated_by_agent_id, updated_by_user_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $12, $13)
           RETURNING ${ROUTINE_COLUMNS}`,
          [
            companyId,
            body.projectId ?? null,
            body.goalId ?? null,
            body.parentIssueId ?? null,
            body.title,
            body.description ?? null,
            body.assigneeAgentId,
            body.priority ?? "medium",
            body.status ?? "active",
            body.concurrencyPolicy ?? "coalesce_if_active",
            body.catchUpPolicy ?? "skip_missed",
            stamp.agentId,
            actor.kind === "board" ? actor.userId : null,
          ],
        );
        await recordActivity(q, {
          companyId,
          actor,
          action: "routine.created",
          entityType: "routine",
          entityId: row!.id,
          details: { title: row!.title, assigneeAgentId: row!.assigneeAgentId },
        });
        return { ...row!, triggers: [] };
      });
    },

    async update(actor: Actor, id: string, body: UpdateRoutineBody): Promise<Routine> {
      const current = await managed(actor, id);
      if (actor.kind === "agent" && body.assigneeAgentId !== undefined && body.assigneeAgentId !== actor.agentId) {
        throw forbidden("Agents cannot reassign a routine to another agent", "routine_not_own");
      }
      await checkReferences(db, current.companyId, body);
      const stamp = actorStamp(actor);
      return db.tx(async (q) => {
        const prev = (await findRoutine(q, current.id, true))!;
        if (prev.status === "archived" && body.status !== undefined && body.status !== "archived") {
          throw conflict("An archived routine cannot be reactivated", undefined, "routine_archived");
        }
        const sets: string[] = [];
        const params: unknown[] = [prev.id];
        const columns: [keyof UpdateRoutineBody, string][] = [
          ["title", "title"],
          ["description", "description"],
          ["assigneeAgentId", "assignee_agent_id"],
          ["projectId", "project_id"],
          ["goalId", "goal_id"],
          ["parentIssueId", "parent_issue_id"],
          ["priority", "priority"],
          ["status", "status"],
          ["concurrencyPolicy", "concurrency_policy"],
          ["catchUpPolicy", "catch_up_policy"],
        ];
        const changes: Record<string, unknown> = {};
        for (const [field, column] of columns) {
          if (body[field] === undefined) continue;
          params.push(body[field]);
          sets.push(`${column} = $${params.length}`);
          changes[field] = body[field];
        }
        params.push(stamp.agentId, actor.kind === "board" ? actor.userId : null);
        const [row] = await q.query<RoutineRow>(
          `UPDATE routines SET ${[...sets, `updated_by_agent_id = $${params.length - 1}`, `updated_by_user_id = $${params.length}`, "updated_at = now()"].join(", ")}
            WHERE id = $1 RETURNING ${ROUTINE_COLUMNS}`,
          params,
        );
        if (row!.status !== prev.status) {
          // Paused/archived: no pending tick. Resumed: the next tick from now (ticks during the pause are not owed).
          const schedules = await q.query<RoutineTrigger>(
            `SELECT ${TRIGGER_COLUMNS} FROM routine_triggers WHERE routine_id = $1 AND kind = 'schedule' FOR UPDATE`,
            [row!.id],
          );
          for (const t of schedules) {
            const next = nextRunFor(t, row!.status);
            await q.query("UPDATE routine_triggers SET next_run_at = $2, updated_at = now() WHERE id = $1", [
              t.id,
              next?.toISOString() ?? null,
            ]);
          }
        }
        await recordActivity(q, {
          companyId: row!.companyId,
          actor,
          action: "routine.updated",
          entityType: "routine",
          entityId: row!.id,
          details: { changes, previousStatus: prev.status },
        });
        return (await withTriggers(q, [row!]))[0]!;
      });
    },

    async createTrigger(actor: Actor, routineId: string, body: CreateRoutineTriggerBody): Promise<RoutineTriggerWithSecret> {
      const routine = await managed(actor, routineId);
      if (routine.status === "archived") throw conflict("Routine is archived", undefined, "routine_archived");
      const enabled = body.enabled ?? true;
      let cronExpression: string | null = null;
      let timezone: string | null = null;
      let nextRunAt: Date | null = null;
      let publicId: string | null = null;
      let secret: string | null = null;
      if (body.kind === "schedule") {
        cronExpression = body.cronExpression;
        timezone = body.timezone ?? "UTC";
        parseSchedule({ cronExpression, timezone });
        nextRunAt = nextRunFor({ cronExpression, timezone, enabled }, routine.status);
      } else if (body.kind === "webhook") {
        publicId = randomBytes(12).toString("hex");
        secret = secrets.generate();
      }
      const stamp = actorStamp(actor);
      return db.tx(async (q) => {
        const [trigger] = await q.query<RoutineTrigger>(
          `INSERT INTO routine_triggers (company_id, routine_id, kind, label, enabled, cron_expression, timezone, next_run_at, public_id,
                                         secret_ciphertext, signing_mode, replay_window_sec, last_rotated_at, created_by_agent_id,
                                         created_by_user_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, CASE WHEN $9::text IS NULL THEN NULL ELSE now() END, $13, $14)
           RETURNING ${TRIGGER_COLUMNS}`,
          [
            routine.companyId,
            routine.id,
            body.kind,
            body.label ?? null,
            enabled,
            cronExpression,
            timezone,
            nextRunAt?.toISOString() ?? null,
            publicId,
            secret ? secrets.seal(secret) : null,
            body.kind === "webhook" ? (body.signingMode ?? "hmac_sha256") : null,
            body.kind === "webhook" ? (body.replayWindowSec ?? ROUTINE_REPLAY_WINDOW_DEFAULT_SEC) : null,
            stamp.agentId,
            actor.kind === "board" ? actor.userId : null,
          ],
        );
        await recordActivity(q, {
          companyId: routine.companyId,
          actor,
          action: "routine.trigger_created",
          entityType: "routine_trigger",
          entityId: trigger!.id,
          details: { routineId: routine.id, kind: body.kind },
        });
        return {
          trigger: trigger!,
          secretMaterial: publicId && secret ? { webhookUrl: webhookUrl(publicId), webhookSecret: secret } : null,
        };
      });
    },

    async updateTrigger(actor: Actor, triggerId: string, body: UpdateRoutineTriggerBody): Promise<RoutineTrigger> {
      const { trigger, routine } = await visibleTrigger(actor, triggerId);
      const scheduleFields = body.cronExpression !== undefined || body.timezone !== undefined;
      const webhookFields = body.signingMode !== undefined || body.replayWindowSec !== undefined;
      if (scheduleFields && trigger.kind !== "schedule") {
        throw ruleViolation("cronExpression and timezone apply only to schedule triggers", { kind: trigger.kind }, "trigger_kind_mismatch");
      }
      if (webhookFields && trigger.kind !== "webhook") {
        throw ruleViolation(
          "signingMode and replayWindowSec apply only to webhook triggers",
          { kind: trigger.kind },
          "trigger_kind_mismatch",
        );
      }
      const next = {
        label: body.label !== undefined ? body.label : trigger.label,
        enabled: body.enabled ?? trigger.enabled,
        cronExpression: body.cronExpression ?? trigger.cronExpression,
        timezone: body.timezone ?? trigger.timezone,
        signingMode: body.signingMode ?? trigger.signingMode,
        replayWindowSec: body.replayWindowSec ?? trigger.replayWindowSec,
      };
      let nextRunAt = trigger.nextRunAt ? new Date(trigger.nextRunAt) : null;
      if (trigger.kind === "schedule") {
        parseSchedule({ cronExpression: next.cronExpression!, timezone: next.timezone! });
        if (scheduleFields || next.enabled !== trigger.enabled) nextRunAt = nextRunFor(next, routine.status);
      }
      return db.tx(async (q) => {
        const [row] = await q.query<RoutineTrigger>(
          `UPDATE routine_triggers SET label = $2, enabled = $3, cron_expression = $4, timezone = $5, signing_mode = $6,
                  replay_window_sec = $7, next_run_at = $8, updated_at = now()
            WHERE id = $1 RETURNING ${TRIGGER_COLUMNS}`,
          [
            trigger.id,
            next.label,
            next.enabled,
            next.cronExpression,
            next.timezone,
            next.signingMode,
            next.replayWindowSec,
            nextRunAt?.toISOString() ?? null,
          ],
        );
        await recordActivity(q, {
          companyId: routine.companyId,
          actor,
          action: "routine.trigger_updated",
          entityType: "routine_trigger",
          entityId: trigger.id,
          details: { routineId: routine.id, kind: trigger.kind, changes: body },
        });
        return row!;
      });
    },

    async deleteTrigger(actor: Actor, triggerId: string): Promise<RoutineTrigger> {
      const { trigger, routine } = await visibleTrigger(actor, triggerId);
      return db.tx(async (q) => {
        await q.query("DELETE FROM routine_triggers WHERE id = $1", [trigger.id]);
        await recordActivity(q, {
          companyId: routine.companyId,
          actor,
          action: "routine.trigger_deleted",
          entityType: "routine_trigger",
          entityId: trigger.id,
          details: { routineId: routine.id, kind: trigger.kind },
        });
        return trigger;
      });
    },

    /** A new secret replaces the old one at once; it is returned this once and never again. */
    async rotateSecret(actor: Actor, triggerId: string): Promise<RoutineTriggerWithSecret> {
      const { trigger, routine } = await visibleTrigger(actor, triggerId);
      if (trigger.kind !== "webhook" || !trigger.publicId) {
        throw ruleViolation("Only webhook triggers have a secret", { kind: trigger.kind }, "trigger_kind_mismatch");
      }
      const secret = secrets.generate();
      return db.tx(async (q) => {
        const [row] = await q.query<RoutineTrigger>(
          `UPDATE routine_triggers SET secret_ciphertext = $2, last_rotated_at = now(), updated_at = now()
            WHERE id = $1 RETURNING ${TRIGGER_COLUMNS}`,
          [trigger.id, secrets.seal(secret)],
        );
        await recordActivity(q, {
          companyId: routine.companyId,
          actor,
          action: "routine.trigger_secret_rotated",
          entityType: "routine_trigger",
          entityId: trigger.id,
          details: { routineId: routine.id },
        });
        return { trigger: row!, secretMaterial: { webhookUrl: webhookUrl(trigger.publicId!), webhookSecret: secret } };
      });
    },

    async listRuns(actor: Actor, routineId: string, limit = 50): Promise<RoutineRun[]> {
      const routine = await visible(actor, routineId);
      return db.query<RoutineRun>(`${RUN_SELECT} WHERE r.routine_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT $2`, [
        routine.id,
        limit,
      ]);
    },

    /** `POST /routines/:id/run`: fires now, bypassing the schedule; the concurrency policy applies. */
    async run(actor: Actor, routineId: string, body: RunRoutineBody): Promise<RoutineRun> {
      const routine = await managed(actor, routineId);
      if (routine.status !== "active") {
        throw ruleViolation(
          `Routine is ${routine.status}; only an active routine can run`,
          { status: routine.status },
          "routine_not_active",
        );
      }
      if (body.triggerId) {
        const [t] = await db.query<{ routineId: string }>("SELECT routine_id FROM routine_triggers WHERE id = $1", [body.triggerId]);
        if (!t || t.routineId !== routine.id) throw notFound("Routine trigger not found");
      }
      return db.tx((q) =>
        fire(
          q,
          routine,
          {
            triggerId: body.triggerId ?? null,
            source: body.source ?? "manual",
            payload: body.payload ?? null,
            idempotencyKey: body.idempotencyKey ?? null,
          },
          actor,
        ),
      );
    },

    /**
     * The public webhook fire: no board or agent credential, the trigger's signature instead.
     * Unknown id → 404; bad or missing signature → 401 and nothing is written. A signed fire of a
     * disabled trigger or inactive routine is recorded as skipped.
     */
    async firePublic(publicId: string, req: SignedRequest & { idempotencyKey?: string }): Promise<RoutineRun> {
      const [trigger] = await db.query<{
        id: string;
        routineId: string;
        enabled: boolean;
        secretCiphertext: string;
        signingMode: "hmac_sha256" | "bearer";
        replayWindowSec: number;
      }>(
        `SELECT id, routine_id, enabled, secret_ciphertext, signing_mode, replay_window_sec
           FROM routine_triggers WHERE public_id = $1 AND kind = 'webhook'`,
        [publicId],
      );
      if (!trigger) throw notFound("Routine trigger not found");
      let secret: string;
      try {
        secret = secrets.open(trigger.secretCiphertext);
      } catch {
        // Sealed under another server secret (it was changed): no signature can match until rotation.
        throw conflict("The webhook secret cannot be read (the server secret changed); rotate it", undefined, "webhook_secret_unreadable");
      }
      const verdict = verifyWebhook(
        trigger.signingMode,
        secret,
        req,
        clock.now(),
        trigger.replayWindowSec ?? ROUTINE_REPLAY_WINDOW_DEFAULT_SEC,
      );
      if (!verdict.ok) throw unauthenticated("Invalid or missing webhook signature", "webhook_signature_invalid");
      let payload: unknown = null;
      if (req.rawBody.trim()) {
        try {
          const parsed: unknown = JSON.parse(req.rawBody);
          payload = parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : { body: parsed };
        } catch {
          payload = { body: req.rawBody.slice(0, 16_000) };
        }
      }
      return db.tx(async (q) => {
        const routine = (await findRoutine(q, trigger.routineId))!;
        const skipReason = !trigger.enabled ? "trigger_disabled" : routine.status !== "active" ? "routine_not_active" : undefined;
        return fire(
          q,
          routine,
          {
            triggerId: trigger.id,
            source: "webhook",
            payload,
            idempotencyKey: req.idempotencyKey?.trim().slice(0, 255) || verdict.replayKey,
            skipReason,
          },
          "system",
        );
      });
    },

    /**
     * The schedule pass (called by the run engine's periodic scheduler with its clock): claim the
     * due ticks set-based, then dispatch every fire still `received`.
     */
    async schedulePass(now: Date = clock.now()) {
      const claimed = await claimDueTicks(db, now, deps.logger);
      const dispatched = await dispatchReceived(db, deps.issueHooks, deps.logger);
      return { claimed, dispatched };
    },
  };
}
export type RoutineService = ReturnType<typeof createRoutineService>;
