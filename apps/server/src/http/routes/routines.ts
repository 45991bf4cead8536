import { z } from "zod";
import {
  CreateRoutineBody,
  CreateRoutineTriggerBody,
  ListRoutineRunsQuery,
  Routine,
  RoutineRun,
  RoutineTrigger,
  RoutineTriggerWithSecret,
  RunRoutineBody,
  UpdateRoutineBody,
  UpdateRoutineTriggerBody,
} from "@staple/contracts";
import { accepted, created, defineRoute, ok } from "../route.js";
import { readBodyText } from "../body-reader.js";

const base = { tag: "routines", access: "any" } as const;
/** Webhook bodies are small notifications; a larger one is a 413 before any signature work. */
const WEBHOOK_BODY_MAX_BYTES = 256 * 1024;

/** Routines (docs/routines.md): agents manage only routines assigned to themselves, the board all. */
export const routineRoutes = [
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/routines",
    summary: "List the company's routines with their triggers",
    responses: { 200: { description: "Routines", schema: z.array(Routine) } },
    handler: async ({ actor, services, company }) => ok(await services.routines.list(actor, company.id)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/companies/:companyId/routines",
    summary: "Create a routine (agents: only assigned to themselves)",
    body: CreateRoutineBody,
    responses: { 201: { description: "Created", schema: Routine }, 403: { description: "An agent naming another assignee" } },
    handler: async ({ actor, services, company, body }) => created(await services.routines.create(actor, company.id, body)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/routines/:routineId",
    summary: "Get a routine with its triggers",
    responses: { 200: { description: "Routine", schema: Routine } },
    handler: async ({ actor, services, params }) => ok(await services.routines.get(actor, params.routineId!)),
  }),
  defineRoute({
    ...base,
    method: "patch",
    path: "/api/routines/:routineId",
    summary: "Update a routine; pausing clears its pending ticks, resuming schedules from now; archived is terminal",
    body: UpdateRoutineBody,
    responses: { 200: { description: "Updated", schema: Routine }, 409: { description: "The routine is archived" } },
    handler: async ({ actor, services, params, body }) => ok(await services.routines.update(actor, params.routineId!, body)),
  }),
  defineRoute({
    ...base,
    method: "get",
    path: "/api/routines/:routineId/runs",
    summary: "The routine's fires, newest first, with their execution issues",
    query: ListRoutineRunsQuery,
    responses: { 200: { description: "Fires", schema: z.array(RoutineRun) } },
    handler: async ({ actor, services, params, query }) => ok(await services.routines.listRuns(actor, params.routineId!, query?.limit)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/routines/:routineId/run",
    summary: "Fire the routine now (the concurrency policy applies; an idempotency key answers its earlier fire)",
    body: RunRoutineBody,
    bodyOptional: true,
    responses: { 202: { description: "The fire", schema: RoutineRun }, 422: { description: "The routine is not active" } },
    handler: async ({ actor, services, params, body }) => accepted(await services.routines.run(actor, params.routineId!, body ?? {})),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/routines/:routineId/triggers",
    summary: "Add a trigger (schedule: 5-field cron + IANA time zone; webhook: the secret is returned this once; api)",
    body: CreateRoutineTriggerBody,
    responses: { 201: { description: "Created", schema: RoutineTriggerWithSecret } },
    handler: async ({ actor, services, params, body }) => created(await services.routines.createTrigger(actor, params.routineId!, body)),
  }),
  defineRoute({
    ...base,
    method: "patch",
    path: "/api/routine-triggers/:triggerId",
    summary: "Update a trigger (enable/disable, label, schedule, signing)",
    body: UpdateRoutineTriggerBody,
    responses: { 200: { description: "Updated", schema: RoutineTrigger } },
    handler: async ({ actor, services, params, body }) => ok(await services.routines.updateTrigger(actor, params.triggerId!, body)),
  }),
  defineRoute({
    ...base,
    method: "delete",
    path: "/api/routine-triggers/:triggerId",
    summary: "Delete a trigger",
    responses: { 200: { description: "The deleted trigger", schema: RoutineTrigger } },
    handler: async ({ actor, services, params }) => ok(await services.routines.deleteTrigger(actor, params.triggerId!)),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/routine-triggers/:triggerId/rotate-secret",
    summary: "Replace a webhook trigger's signing secret (the old one stops working at once; the new one is returned this once)",
    body: z.strictObject({}),
    bodyOptional: true,
    responses: { 200: { description: "The trigger and its new secret", schema: RoutineTriggerWithSecret } },
    handler: async ({ actor, services, params }) => ok(await services.routines.rotateSecret(actor, params.triggerId!)),
  }),
  defineRoute({
    method: "post",
    path: "/api/routine-triggers/public/:publicId/fire",
    tag: "routines",
    access: "public",
    summary:
      "Fire a webhook trigger. No board/agent credential: hmac_sha256 needs X-Paperclip-Timestamp and X-Paperclip-Signature: sha256=HMAC(secret, timestamp + '.' + body); bearer needs Authorization: Bearer <secret>",
    rawBody: { contentType: "application/json", schema: { type: "object", additionalProperties: true } },
    responses: {
      202: { description: "The fire", schema: RoutineRun },
      401: { description: "Missing or invalid signature; nothing was created" },
      404: { description: "No webhook trigger has this public id" },
    },
    handler: async ({ services, params, header, request }) =>
      accepted(
        await services.routines.firePublic(params.publicId!, {
          rawBody: await readBodyText(request, WEBHOOK_BODY_MAX_BYTES),
          authorization: header("authorization"),
          signature: header("x-paperclip-signature"),
          timestamp: header("x-paperclip-timestamp"),
          idempotencyKey: header("idempotency-key"),
        }),
      ),
  }),
];
