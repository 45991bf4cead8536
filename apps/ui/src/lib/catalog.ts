import { queryOptions } from "@tanstack/react-query";
import { unwrap, type StapleClient } from "../api/client.js";

/**
 * A company's projects and goals, for pickers and names (issue properties, list filters). Under
 * the company's key family, so a reconnect refreshes them with the rest of the company.
 */
export const catalogQueries = {
  projects: (api: StapleClient, companyId: string) =>
    queryOptions({
      queryKey: ["company", companyId, "projects"] as const,
      queryFn: () => unwrap(api.GET("/api/companies/{companyId}/projects", { params: { path: { companyId } } })),
      staleTime: 60_000,
    }),
  goals: (api: StapleClient, companyId: string) =>
    queryOptions({
      queryKey: ["company", companyId, "goals"] as const,
      queryFn: () => unwrap(api.GET("/api/companies/{companyId}/goals", { params: { path: { companyId } } })),
      staleTime: 60_000,
    }),
};
