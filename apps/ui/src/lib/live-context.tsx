import { useQueryClient, type QueryClient, type QueryKey } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { eventsUrl } from "../api/client.js";
import { useApi } from "../api/context.js";
import type { LiveEvent } from "../api/types.js";
import { LIVE_EVENT_TYPES, parseLiveEvent } from "./live.js";
import { queryKeys as k } from "./query-keys.js";
import { createIssueRowUpdater, issueRowFetcher } from "./issue-row-updates.js";
import { keysToInvalidate } from "./live-invalidation.js";

type Listener = (event: LiveEvent) => void;
export type LiveState = "connecting" | "open" | "closed";

interface LiveHub {
  subscribe(listener: Listener): () => void;
  state: LiveState;
}

const LiveContext = createContext<LiveHub>({ subscribe: () => () => {}, state: "closed" });

/** Events arriving within this window refresh each stale query once. */
const BATCH_MS = 100;

/**
 * Invalidates the queries an event makes stale (lib/live-invalidation.ts), batched: a burst of
 * events (a run's status changes and activity rows) refetches each query on screen once.
 */
export function createLiveInvalidator(queryClient: QueryClient, batchMs = BATCH_MS, rows?: ReturnType<typeof createIssueRowUpdater>) {
  const pending = new Map<string, QueryKey>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    timer = undefined;
    const keys = [...pending.values()];
    pending.clear();
    for (const queryKey of keys) void queryClient.invalidateQueries({ queryKey });
    void rows?.flush();
  };
  return {
    push(event: LiveEvent) {
      // An event naming one issue updates that row in the cached lists instead of refetching them.
      const lists = rows?.push(event) ? JSON.stringify(k.issues(event.companyId)) : null;
      for (const key of keysToInvalidate(event)) if (JSON.stringify(key) !== lists) pending.set(JSON.stringify(key), key);
      if ((pending.size || lists) && timer === undefined) timer = setTimeout(flush, batchMs);
    },
    stop() {
      clearTimeout(timer);
      pending.clear();
    },
  };
}

/**
 * One server-sent event stream per company (GET /api/companies/:id/events). EventSource reconnects
 * by itself; each (re)connect brings a `ready`, after which the table refreshes what may be missed.
 */
export function LiveProvider({ companyId, children }: { companyId: string; children: ReactNode }) {
  const queryClient = useQueryClient();
  const api = useApi();
  const listeners = useRef(new Set<Listener>());
  const [state, setState] = useState<LiveState>("closed");
  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  const hub = useMemo(() => ({ subscribe, state }), [subscribe, state]);

  useEffect(() => {
    if (typeof EventSource === "undefined") return;
    const invalidator = createLiveInvalidator(queryClient, BATCH_MS, createIssueRowUpdater(queryClient, issueRowFetcher(api)));
    setState("connecting");
    const source = new EventSource(eventsUrl(companyId));
    let opened = false;
    const emit = (event: LiveEvent) => {
      // The first `ready` only confirms the connection: the queries were just fetched.
      if (event.type !== "ready" || opened) invalidator.push(event);
      for (const l of [...listeners.current]) l(event);
    };
    for (const type of LIVE_EVENT_TYPES) {
      source.addEventListener(type, (message) => {
        if (type === "ready") {
          setState("open");
          emit({ type: "ready", companyId, payload: {} });
          opened = true;
          return;
        }
        const event = parseLiveEvent((message as MessageEvent<string>).data);
        if (event) emit(event);
      });
    }
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? "closed" : "connecting");
    return () => {
      source.close();
      invalidator.stop();
      setState("closed");
    };
  }, [companyId, queryClient, api]);

  return <LiveContext.Provider value={hub}>{children}</LiveContext.Provider>;
}

export function useLiveState(): LiveState {
  return useContext(LiveContext).state;
}

/** Calls `handler` for each live event of the current company (latest handler, no resubscribe). */
export function useLiveEvents(handler: Listener) {
  const { subscribe } = useContext(LiveContext);
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => subscribe((event) => ref.current(event)), [subscribe]);
}
