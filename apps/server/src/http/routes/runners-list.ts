import { Runner } from "@staple/contracts";
import { z } from "zod";
import type { Actor } from "../../auth/actor.js";
import { defineRoute, ok } from "../route.js";

/** A runner as the board lists it: its row, and how many of this company's runs it executes now. */
export const ListedRunner = Runner.extend({ runningRuns: z.number().int() }).meta({ id: "ListedRunner" });

/** Newest first; a runner registers a new row at every start, so old offline rows pile up. */
const LIST_LIMIT = 200;

const instanceBoard = (actor: Actor) => actor.kind === "board" && actor.companyIds === "all" && !actor.roles;

/**
 * The runners a company's board sees (docs/runners.md): those registered with one of the company's
 * runner tokens, and, for an instance board, instance runners too (they may take this company's runs).
 * `runningRuns` counts only this company's running runs, so an instance runner shows no other company's work.
 * Status is the stored one: the periodic pass marks a silent runner offline.
 */
export const runnerListRoutes = [
  defineRoute({
    tag: "runners",
    method: "get",
    path: "/api/companies/:companyId/runners",
    summary: "The company's registered runners (and the instance's for an instance board), with their running runs",
    access: "board",
    responses: { 200: { description: "Runners", schema: z.array(ListedRunner) } },
    handler: async ({ actor, services, company }) =>
      ok(
        await services.db.query<z.infer<typeof ListedRunner>>(
          `SELECT r.id, r.token_id, r.company_id, r.name, r.hostname, r.labels, r.adapter_types, r.status, r.version,
                  r.registered_at, r.last_seen_at,
                  (SELECT count(*)::int FROM heartbeat_runs h
                    WHERE h.runner_id = r.id AND h.status = 'running' AND h.company_id = $1) AS running_runs
             FROM runners r
            WHERE r.company_id = $1 OR ($2::boolean AND r.company_id IS NULL)
            ORDER BY (r.status = 'offline'), r.last_seen_at DESC, r.id
            LIMIT ${LIST_LIMIT}`,
          [company.id, instanceBoard(actor)],
        ),
      ),
  }),
];
