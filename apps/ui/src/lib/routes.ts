import { useParams, type PathParam } from "react-router";

/**
 * The board's URL patterns (unchanged from the first board: the browser lane and links people
 * keep navigate by them). Company pages live under /c/:companyId.
 */
export const PATHS = {
  home: "/",
  onboarding: "/onboarding",
  company: "/c/:companyId",
  issue: "/c/:companyId/issues/:ref",
  agent: "/c/:companyId/agents/:agentId",
  run: "/c/:companyId/runs/:runId",
  approval: "/c/:companyId/approvals/:approvalId",
} as const;

/**
 * The params of a route pattern, typed from the pattern itself (`"/c/:companyId/issues/:ref"` →
 * `{ companyId: string; ref: string }`). Only for components rendered by that route, where
 * react-router always supplies them; a missing one is a programming error and throws.
 */
export function useRouteParams<P extends string>(pattern: P): { [K in PathParam<P>]: string } {
  const params = useParams();
  const names = [...pattern.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = params[name];
    if (value === undefined) throw new Error(`route ${pattern} rendered without :${name}`);
    out[name] = value;
  }
  return out as { [K in PathParam<P>]: string };
}

/** The current URL with some query parameters replaced (empty values removed). */
export function withQuery(
  location: { pathname: string; search: string },
  changes: Record<string, string | number | null | undefined>,
): string {
  const params = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === "") params.delete(k);
    else params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${location.pathname}?${qs}` : location.pathname;
}
