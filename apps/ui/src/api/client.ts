import type {
  ActivityEntry,
  Agent,
  AgentKey,
  CreatedAgentKey,
  CostByAgentRow,
  CostByProjectRow,
  CostSummary,
  ForceReleaseResult,
  IssueDocument,
  PutDocumentInput,
  Comment,
  Company,
  CreateAgentInput,
  CreateCompanyInput,
  CreateIssueInput,
  Dashboard,
  EnvironmentResult,
  HeartbeatRun,
  Issue,
  IssueDetail,
  IssueRun,
  LiveRun,
  OrgNode,
  RunEvent,
  RunLog,
  RuntimeState,
  UpdateIssueInput,
  WakeResult,
} from "./types.js";
import { reportSignedOut } from "../lib/auth.js";

/** A cost period: ISO timestamps, either end open. */
export interface CostRange {
  from?: string;
  to?: string;
}

export type QueryValue = string | number | boolean | null | undefined | readonly string[];

/**
 * Builds an API path: path segments are URI-encoded, query values that are undefined, null or ""
 * are left out, arrays become comma lists (the server's list syntax).
 */
export function apiUrl(segments: readonly (string | number)[], query: Record<string, QueryValue> = {}): string {
  const path = "/api/" + segments.map((s) => encodeURIComponent(String(s))).join("/");
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) {
      if (value.length) params.set(key, value.join(","));
    } else params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Turns a validation error body (`details` of zod issues) into one readable line. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const issues = Array.isArray(error.details) ? (error.details as { path?: unknown[]; message?: string }[]) : [];
    const extra = issues
      .filter((i) => i && typeof i.message === "string")
      .map((i) => (i.path?.length ? `${i.path.join(".")}: ${i.message}` : i.message))
      .join("; ");
    return extra ? `${error.message} (${extra})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** Who the board caller is (GET /api/auth/get-session). */
export interface BoardSession {
  user: { id: string };
  session: { id: string | null; source: string };
}

/**
 * The API client. It talks to the API on the page's own origin and authenticates with the board's
 * session cookie, which fetch sends by itself for same-origin requests (`credentials` is left at
 * its default, "same-origin"; never "omit"). Writes carry the browser's Origin header, which the
 * server checks for cookie-authenticated writes. A 401 is reported to `onUnauthorized` (by default
 * the sign-in screen) before it is thrown.
 */
export function createClient(fetchImpl: Fetch = (input, init) => fetch(input, init), base = "", onUnauthorized: () => void = reportSignedOut) {
  async function request<T>(method: string, url: string, body?: unknown): Promise<T> {
    const res = await fetchImpl(base + url, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 401) onUnauthorized();
    const text = await res.text();
    let data: unknown = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    if (!res.ok) {
      const err = (data && typeof data === "object" ? data : {}) as { error?: string; code?: string; details?: unknown };
      throw new ApiError(res.status, err.error ?? `HTTP ${res.status}`, err.code, err.details);
    }
    return data as T;
  }
  const get = <T>(segments: (string | number)[], query?: Record<string, QueryValue>) => request<T>("GET", apiUrl(segments, query));
  const post = <T>(segments: (string | number)[], body?: unknown) => request<T>("POST", apiUrl(segments), body);
  const patch = <T>(segments: (string | number)[], body?: unknown) => request<T>("PATCH", apiUrl(segments), body);
  const put = <T>(segments: (string | number)[], body?: unknown) => request<T>("PUT", apiUrl(segments), body);
  const del = <T>(segments: (string | number)[]) => request<T>("DELETE", apiUrl(segments));

  return {
    companies: {
      list: () => get<Company[]>(["companies"]),
      get: (id: string) => get<Company>(["companies", id]),
      create: (body: CreateCompanyInput) => post<Company>(["companies"], body),
      update: (id: string, body: Partial<CreateCompanyInput>) => patch<Company>(["companies", id], body),
      dashboard: (id: string) => get<Dashboard>(["companies", id, "dashboard"]),
      activity: (id: string, query: { limit?: number; agentId?: string; entityType?: string; entityId?: string } = {}) =>
        get<ActivityEntry[]>(["companies", id, "activity"], query),
    },
    agents: {
      list: (companyId: string, query: { includeTerminated?: boolean } = {}) => get<Agent[]>(["companies", companyId, "agents"], query),
      get: (id: string) => get<Agent>(["agents", id]),
      create: (companyId: string, body: CreateAgentInput) => post<Agent>(["companies", companyId, "agents"], body),
      update: (id: string, body: Partial<CreateAgentInput>) => patch<Agent>(["agents", id], body),
      org: (companyId: string) => get<OrgNode[]>(["companies", companyId, "org"]),
      pause: (id: string) => post<Agent>(["agents", id, "pause"]),
      resume: (id: string) => post<Agent>(["agents", id, "resume"]),
      terminate: (id: string) => post<Agent>(["agents", id, "terminate"]),
      wakeup: (id: string, reason = "Woken from the board") => post<WakeResult>(["agents", id, "wakeup"], { source: "on_demand", triggerDetail: "manual", reason }),
      keys: (id: string) => get<AgentKey[]>(["agents", id, "keys"]),
      createKey: (id: string, name: string) => post<CreatedAgentKey>(["agents", id, "keys"], { name }),
      revokeKey: (id: string, keyId: string) => del<{ ok: true }>(["agents", id, "keys", keyId]),
      runtimeState: (id: string) => get<RuntimeState | null>(["agents", id, "runtime-state"]),
      testEnvironment: (companyId: string, adapterType: string, adapterConfig: Record<string, unknown>) =>
        post<EnvironmentResult>(["companies", companyId, "adapters", adapterType, "test-environment"], { adapterConfig }),
      /** Model suggestions; the shape differs per adapter (see modelOptions in lib/adapter-config). */
      models: (companyId: string, adapterType: string) => get<unknown>(["companies", companyId, "adapters", adapterType, "models"]),
    },
    costs: {
      summary: (companyId: string, range: CostRange = {}) => get<CostSummary>(["companies", companyId, "costs", "summary"], { ...range }),
      byAgent: (companyId: string, range: CostRange = {}) => get<CostByAgentRow[]>(["companies", companyId, "costs", "by-agent"], { ...range }),
      byProject: (companyId: string, range: CostRange = {}) => get<CostByProjectRow[]>(["companies", companyId, "costs", "by-project"], { ...range }),
    },
    issues: {
      list: (
        companyId: string,
        query: { status?: readonly string[]; assigneeAgentId?: string; parentId?: string; q?: string; limit?: number; offset?: number; sortField?: string; sortDir?: "asc" | "desc" } = {},
      ) => get<Issue[]>(["companies", companyId, "issues"], query),
      get: (ref: string) => get<IssueDetail>(["issues", ref]),
      create: (companyId: string, body: CreateIssueInput) => post<Issue>(["companies", companyId, "issues"], body),
      update: (ref: string, body: UpdateIssueInput) => patch<Issue>(["issues", ref], body),
      comments: (ref: string) => get<Comment[]>(["issues", ref, "comments"], { order: "asc" }),
      comment: (ref: string, body: string) => post<Comment>(["issues", ref, "comments"], { body }),
      runs: (ref: string) => get<IssueRun[]>(["issues", ref, "runs"]),
      activity: (ref: string) => get<ActivityEntry[]>(["issues", ref, "activity"]),
      /** Board recovery: clears the issue's checkout/execution lock. */
      forceRelease: (ref: string, clearAssignee = false) =>
        request<ForceReleaseResult>("POST", apiUrl(["issues", ref, "admin", "force-release"], clearAssignee ? { clearAssignee: "true" } : {})),
      documents: (ref: string) => get<IssueDocument[]>(["issues", ref, "documents"]),
      putDocument: (ref: string, key: string, body: PutDocumentInput) => put<IssueDocument>(["issues", ref, "documents", key], body),
    },
    runs: {
      list: (companyId: string, query: { agentId?: string; status?: readonly string[]; limit?: number } = {}) =>
        get<HeartbeatRun[]>(["companies", companyId, "heartbeat-runs"], query),
      live: (companyId: string) => get<LiveRun[]>(["companies", companyId, "live-runs"]),
      get: (id: string) => get<HeartbeatRun>(["heartbeat-runs", id]),
      events: (id: string, afterSeq = 0) => get<RunEvent[]>(["heartbeat-runs", id, "events"], { afterSeq, limit: 1000 }),
      log: (id: string, offset = 0) => get<RunLog>(["heartbeat-runs", id, "log"], { offset }),
      issues: (id: string) => get<{ issueId: string; identifier: string; title: string; status: string }[]>(["heartbeat-runs", id, "issues"]),
      cancel: (id: string) => post<HeartbeatRun>(["heartbeat-runs", id, "cancel"]),
    },
    board: {
      session: () => get<BoardSession>(["auth", "get-session"]),
      /** Ends this browser's session and clears its cookie. */
      signOut: () => post<{ ok: true }>(["board", "logout"], {}),
    },
    /** Path of the company's server-sent event stream (EventSource sends the session cookie: same origin). */
    eventsUrl: (companyId: string) => base + apiUrl(["companies", companyId, "events"]),
  };
}

export type Client = ReturnType<typeof createClient>;
export const api = createClient();
