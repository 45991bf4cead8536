import { Health } from "@staple/contracts";
import { defineRoute } from "../route.js";

export const healthRoutes = [
  defineRoute({
    method: "get",
    path: "/api/health",
    summary: "Liveness and database reachability",
    tag: "health",
    access: "public",
    responses: { 200: { description: "Healthy", schema: Health }, 503: { description: "Database unreachable" } },
    async handler({ services, info }) {
      try {
        await services.db.query("SELECT 1");
      } catch {
        return {
          status: 503,
          body: { status: "degraded", error: "database_unreachable", version: info.version, deploymentMode: info.deploymentMode },
        };
      }
      return {
        status: 200,
        body: { status: "ok", version: info.version, deploymentMode: info.deploymentMode, database: info.databaseKind },
      };
    },
  }),
];
