import { useQuery } from "@tanstack/react-query";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";

/**
 * Whether the signed-in person only reads this company (a `viewer` member). The server refuses a
 * viewer's writes either way; the board disables its write controls so nobody fills in a form only
 * to be told no. Without a membership row (a local board, an instance admin) everything stays open.
 */
export function useReadOnly(companyId: string): boolean {
  const api = useApi();
  const me = useQuery({
    queryKey: ["auth-me"] as const,
    queryFn: () => unwrap(api.GET("/api/auth/me")),
    staleTime: 60_000,
    retry: false,
  });
  if (!me.data || me.data.user.isInstanceAdmin) return false;
  return me.data.memberships.find((m) => m.companyId === companyId)?.role === "viewer";
}
