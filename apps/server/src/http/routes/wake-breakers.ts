import { z } from "zod";
import { NullableTimestamp, Timestamp, Uuid } from "@staple/contracts";
import {
  getWakeBreakerSettings,
  PatchWakeBreakerSettingsBody,
  patchWakeBreakerSettings,
  WakeBreakerSettingsSchema,
} from "../../runs/breaker-settings.js";
import { agentWakeReport, listLoopIncidents, listQuotaHolds } from "../../runs/breaker-queries.js";
import { recordActivity } from "../../activity/record.js";
import { defineRoute, ok } from "../route.js";

/** Wake breakers (docs/runs.md#seeing-skipped-and-held-wakes): settings, quota holds, loop incidents, an agent's skipped wakes. */
const base = { tag: "runs" } as const;

const QuotaHold = z.object({
  id: Uuid,
  credentialKind: z.enum(["api_key", "cli_login"]),
  credentialFingerprint: z.string(),
  adapterType: z.string(),
  resetAt: Timestamp,
  errorCode: z.string().nullable(),
  sourceAgentId: Uuid.nullable(),
  sourceRunId: Uuid.nullable(),
  heldAgentIds: z.array(Uuid),
  queuedRunCount: z.number().int(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const LoopIncident = z.object({
  id: Uuid,
  agentId: Uuid,
  issueId: Uuid,
  wakeCount: z.number().int(),
  maxWakes: z.number().int(),
  windowMinutes: z.number().int(),
  blockedWakes: z.number().int(),
  lastProgressAt: NullableTimestamp,
  trippedAt: Timestamp,
  clearedAt: NullableTimestamp,
  clearedReason: z.string().nullable(),
});

const SkippedWake = z.object({
  id: Uuid,
  source: z.string(),
  reason: z.string().nullable(),
  issueId: Uuid.nullable(),
  requestedAt: Timestamp,
});

const WakeReport = z.object({ skipped: z.array(SkippedWake), quotaHolds: z.array(QuotaHold), loopIncidents: z.array(LoopIncident) });

export const wakeBreakerRoutes = [
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/wake-breakers",
    summary: "The company's wake breaker settings (loop breaker, quota breaker), defaults applied",
    access: "any",
    responses: { 200: { description: "Settings", schema: WakeBreakerSettingsSchema } },
    handler: async ({ services, company }) => ok(await getWakeBreakerSettings(services.db, company.id)),
  }),
  defineRoute({
    ...base,
    method: "patch",
    path: "/api/companies/:companyId/wake-breakers",
    summary: "Change the wake breaker settings (loopBreaker.maxWakes 2–1000, loopBreaker.windowMinutes 1–10080)",
    access: "board",
    body: PatchWakeBreakerSettingsBody,
    responses: { 200: { description: "Settings", schema: WakeBreakerSettingsSchema } },
    handler: async ({ actor, services, company, body }) =>
      ok(
        await services.db.tx(async (q) => {
          const settings = await patchWakeBreakerSettings(q, company.id, body);
          await recordActivity(q, {
            companyId: company.id,
            actor,
            action: "company.wake_breakers_updated",
            entityType: "company",
            entityId: company.id,
            details: { changes: body, settings },
          });
          return settings;
        }),
      ),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/quota-holds",
    summary: "Active provider quota holds affecting the company: credential, reset time, held agents and queued runs",
    access: "any",
    responses: { 200: { description: "Holds, soonest reset first", schema: z.array(QuotaHold) } },
    handler: async ({ services, company }) => ok(await listQuotaHolds(services.db, company.id, services.engine.clock.now())),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/loop-incidents",
    summary: "Loop breaker incidents (an agent no longer woken for an issue), newest first",
    access: "any",
    query: z.object({ open: z.enum(["true", "false"]).optional() }),
    responses: { 200: { description: "Incidents", schema: z.array(LoopIncident) } },
    handler: async ({ services, company, query }) =>
      ok(await listLoopIncidents(services.db, company.id, { openOnly: query.open === "true" })),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/agents/:id/wake-report",
    summary: "An agent's recent skipped wakes (with reasons), active quota holds (with reset times) and open loop incidents",
    access: "any",
    responses: { 200: { description: "Report", schema: WakeReport }, 404: { description: "Agent not found" } },
    handler: async ({ actor, services, params }) => {
      const agent = await services.agents.get(actor, params.id!);
      return ok(await agentWakeReport(services.db, agent, services.engine.clock.now()));
    },
  }),
];
