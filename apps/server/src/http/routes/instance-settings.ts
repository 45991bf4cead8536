import { z } from "zod";
import { OutboundSettings as OutboundSettingsSchema } from "@staple/contracts";
import { forbidden } from "../../errors.js";
import type { Actor } from "../../auth/actor.js";
import { readStoredOutboundAllow, writeStoredOutboundAllow, type OutboundSettings } from "../../instance/outbound-allow.js";
import type { Services } from "../../services.js";
import { defineRoute, ok } from "../route.js";

const OutboundSettingsBody = z.strictObject({
  allow: z.array(z.string().max(1000)).max(1000),
});

/** Instance-wide settings reach every company: only a board user with access to all companies changes them. */
function assertInstanceAdmin(actor: Actor): void {
  if (actor.kind !== "board" || actor.companyIds !== "all") {
    throw forbidden("Instance settings are for the board (an instance admin)", "board_only");
  }
}

async function outboundSettings(services: Services): Promise<OutboundSettings> {
  const stored = await readStoredOutboundAllow(services.db);
  return { ...stored, envAllow: [...services.engine.resources.outboundEnvAllow] };
}

export const instanceSettingsRoutes = [
  defineRoute({
    method: "get",
    path: "/api/instance/settings/outbound",
    summary: "Outbound allow-list: non-public destinations (host[:port], address[:port], CIDR) that agents' http calls may reach",
    tag: "instance",
    access: "board",
    responses: { 200: { description: "The board's and the operator's entries", schema: OutboundSettingsSchema } },
    async handler({ actor, services }) {
      assertInstanceAdmin(actor);
      return ok(await outboundSettings(services));
    },
  }),
  defineRoute({
    method: "patch",
    path: "/api/instance/settings/outbound",
    summary: "Replace the board's outbound allow-list (STAPLE_OUTBOUND_ALLOW entries are added by the operator and shown as envAllow)",
    tag: "instance",
    access: "board",
    body: OutboundSettingsBody,
    responses: {
      200: { description: "The board's and the operator's entries", schema: OutboundSettingsSchema },
      400: { description: "An entry is not host[:port], address[:port] or CIDR" },
    },
    async handler({ actor, services, body }) {
      assertInstanceAdmin(actor);
      await writeStoredOutboundAllow(services.db, body.allow, actor.kind === "board" ? actor.userId : "unknown");
      return ok(await outboundSettings(services));
    },
  }),
];
