import {
  CreatedRunnerToken,
  CreateRunnerTokenBody,
  isUuid,
  RegisteredRunner,
  RegisterRunnerBody,
  Runner,
  RunnerClaim,
  RunnerClaimBody,
  RunnerEventsAck,
  RunnerEventsBody,
  RunnerFinish,
  RunnerFinishBody,
  RunnerHeartbeat,
  RunnerHeartbeatBody,
  RunnerLogAck,
  RunnerLogBody,
  RunnerToken,
} from "@staple/contracts";
import { z } from "zod";
import { assertCanSee } from "../../auth/access.js";
import type { Actor } from "../../auth/actor.js";
import { forbidden, notFound, unauthenticated } from "../../errors.js";
import { createRunnerRegistry } from "../../runners/registry.js";
import { createRunnerTokens, type RunnerPrincipal } from "../../runners/tokens.js";
import { createRunnerWork } from "../../runners/work.js";
import { created, defineRoute, ok } from "../route.js";

const base = { tag: "runners" } as const;

/** Runner requests carry their runner token; they are `public` to the board/agent authentication. */
async function runnerPrincipal(db: Parameters<typeof createRunnerTokens>[0], header: (name: string) => string | undefined) {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header("authorization") ?? "");
  const principal = match ? await createRunnerTokens(db).verify(match[1]!) : undefined;
  if (!principal) throw unauthenticated("A live runner token is required (Authorization: Bearer strn_…)", "invalid_runner_token");
  return principal satisfies RunnerPrincipal;
}

/** Verifies the runner token and the path's ids (a malformed id is a 404, like an unknown one). */
async function runnerRequest(
  db: Parameters<typeof createRunnerTokens>[0],
  header: (name: string) => string | undefined,
  params: Record<string, string | undefined>,
) {
  const principal = await runnerPrincipal(db, header);
  if (!isUuid(params.runnerId!)) throw notFound("Runner not found");
  if (params.runId !== undefined && !isUuid(params.runId)) throw notFound("Heartbeat run not found");
  return principal;
}

const leaseLost = { description: "The run is not leased to this runner (runner_lease_lost): stop it" };

const instanceBoard = (actor: Actor) => actor.kind === "board" && actor.companyIds === "all" && !actor.roles;

/**
 * Runners (docs/runners.md): the board creates, lists and revokes runner tokens (per company, or for
 * the instance); a runner registers with its token, heartbeats (renewing its runs' leases) and drains.
 * A runner claims runs of agents bound to its labels and reports their log, events and end; every
 * per-run report answers 409 `runner_lease_lost` once the run is no longer leased to it.
 */
export const runnerRoutes = [
  defineRoute({
    ...base,
    method: "get",
    path: "/api/companies/:companyId/runner-tokens",
    summary: "The company's runner tokens, and the instance's for an instance board (never the tokens)",
    access: "board",
    responses: { 200: { description: "Tokens", schema: z.array(RunnerToken) } },
    handler: async ({ actor, services, company }) =>
      ok(await createRunnerTokens(services.db).list({ companyId: company.id, includeInstance: instanceBoard(actor) })),
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/companies/:companyId/runner-tokens",
    summary: "Create a runner token for the company; the token is shown only in this answer",
    access: "board",
    body: CreateRunnerTokenBody,
    responses: { 201: { description: "Created", schema: CreatedRunnerToken } },
    handler: async ({ actor, services, company, body }) => {
      const userId = actor.kind === "board" ? actor.userId : null;
      const { token, row } = await createRunnerTokens(services.db).create({
        name: body.name,
        companyId: company.id,
        createdByUserId: userId,
      });
      return created({ ...row, token });
    },
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/instance/runner-tokens",
    summary: "Create an instance runner token (runs agents of every company); instance board only",
    access: "board",
    body: CreateRunnerTokenBody,
    responses: { 201: { description: "Created", schema: CreatedRunnerToken } },
    handler: async ({ actor, services, body }) => {
      if (!instanceBoard(actor)) throw forbidden("Instance runner tokens need an instance board", "instance_board_only");
      const userId = actor.kind === "board" ? actor.userId : null;
      const { token, row } = await createRunnerTokens(services.db).create({ name: body.name, companyId: null, createdByUserId: userId });
      return created({ ...row, token });
    },
  }),
  defineRoute({
    ...base,
    method: "delete",
    path: "/api/runner-tokens/:tokenId",
    summary: "Revoke a runner token: its runners are refused from the next request on",
    access: "board",
    responses: { 200: { description: "Revoked", schema: RunnerToken } },
    handler: async ({ actor, services, params }) => {
      if (!isUuid(params.tokenId!)) throw notFound("Runner token not found");
      const [row] = await services.db.query<{ companyId: string | null }>("SELECT company_id FROM runner_tokens WHERE id = $1", [
        params.tokenId,
      ]);
      if (!row) throw notFound("Runner token not found");
      if (row.companyId !== null) assertCanSee(actor, row.companyId, "Runner token");
      else if (!instanceBoard(actor)) throw notFound("Runner token not found");
      return ok(await createRunnerTokens(services.db).revoke(params.tokenId!));
    },
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/runners/register",
    summary: "A runner registers with its runner token: name, labels and the adapter types it can run",
    access: "public",
    body: RegisterRunnerBody,
    responses: { 201: { description: "Registered", schema: RegisteredRunner }, 401: { description: "No live runner token" } },
    handler: async ({ services, header, body }) => {
      const principal = await runnerPrincipal(services.db, header);
      const leaseMs = services.engine.resources.leaseMs;
      const runner = await createRunnerRegistry(services.db, { leaseMs }).register(principal, body);
      return created({ ...runner, leaseMs, heartbeatMs: Math.max(250, Math.floor(leaseMs / 3)) });
    },
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/runners/:runnerId/heartbeat",
    summary: "A runner's heartbeat: renews its runs' leases and names the runs it must stop",
    access: "public",
    body: RunnerHeartbeatBody,
    responses: { 200: { description: "Heartbeat", schema: RunnerHeartbeat }, 401: { description: "No live runner token" } },
    handler: async ({ services, header, params, body }) => {
      const principal = await runnerPrincipal(services.db, header);
      if (!isUuid(params.runnerId!)) throw notFound("Runner not found");
      const registry = createRunnerRegistry(services.db, { leaseMs: services.engine.resources.leaseMs });
      return ok(await registry.heartbeat(principal, params.runnerId!, body.runIds));
    },
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/runners/:runnerId/drain",
    summary: "A runner stops taking runs (SIGTERM); the runs it executes go on",
    access: "public",
    bodyOptional: true,
    body: z.strictObject({}),
    responses: { 200: { description: "Draining", schema: Runner }, 401: { description: "No live runner token" } },
    handler: async ({ services, header, params }) => {
      const principal = await runnerPrincipal(services.db, header);
      if (!isUuid(params.runnerId!)) throw notFound("Runner not found");
      const registry = createRunnerRegistry(services.db, { leaseMs: services.engine.resources.leaseMs });
      return ok(await registry.drain(principal, params.runnerId!));
    },
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/runners/:runnerId/claim",
    summary: "A runner claims runs of agents bound to its labels (long poll up to waitMs); answers execution packets",
    access: "public",
    body: RunnerClaimBody,
    responses: { 200: { description: "Claimed runs (possibly none)", schema: RunnerClaim }, 401: { description: "No live runner token" } },
    handler: async ({ services, header, params, body, request }) => {
      const principal = await runnerRequest(services.db, header, params);
      return ok(await createRunnerWork(services.engine).claim(principal, params.runnerId!, body, request.signal));
    },
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/runners/:runnerId/runs/:runId/log",
    summary: "A runner stores a batch of a run's log pieces (idempotent on the piece's seq); the log tails live on every server",
    access: "public",
    body: RunnerLogBody,
    responses: {
      200: { description: "Stored", schema: RunnerLogAck },
      401: { description: "No live runner token" },
      409: leaseLost,
    },
    handler: async ({ services, header, params, body }) => {
      const principal = await runnerRequest(services.db, header, params);
      return ok(await createRunnerWork(services.engine).log(principal, params.runnerId!, params.runId!, body));
    },
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/runners/:runnerId/runs/:runId/events",
    summary: "A runner records a run's adapter events and its spawn record",
    access: "public",
    body: RunnerEventsBody,
    responses: {
      200: { description: "Recorded", schema: RunnerEventsAck },
      401: { description: "No live runner token" },
      409: leaseLost,
    },
    handler: async ({ services, header, params, body }) => {
      const principal = await runnerRequest(services.db, header, params);
      return ok(await createRunnerWork(services.engine).events(principal, params.runnerId!, params.runId!, body));
    },
  }),
  defineRoute({
    ...base,
    method: "post",
    path: "/api/runners/:runnerId/runs/:runId/finish",
    summary: "A runner reports how a run ended; finalized like a local run (a run no longer leased to it is acknowledged and ignored)",
    access: "public",
    body: RunnerFinishBody,
    responses: { 200: { description: "Finished or ignored", schema: RunnerFinish }, 401: { description: "No live runner token" } },
    handler: async ({ services, header, params, body }) => {
      const principal = await runnerRequest(services.db, header, params);
      return ok(await createRunnerWork(services.engine).finish(principal, params.runnerId!, params.runId!, body));
    },
  }),
];
