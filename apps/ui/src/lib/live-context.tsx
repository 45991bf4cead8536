import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { api } from "../api/client.js";
import type { LiveEvent } from "../api/types.js";
import { LIVE_EVENT_TYPES, parseLiveEvent } from "./live.js";

type Listener = (event: LiveEvent) => void;
export type LiveState = "connecting" | "open" | "closed";

interface LiveHub {
  subscribe(listener: Listener): () => void;
  state: LiveState;
}

const LiveContext = createContext<LiveHub>({ subscribe: () => () => {}, state: "closed" });

/**
 * One server-sent event stream per company (GET /api/companies/:id/events). EventSource reconnects
 * by itself; on reconnect every subscriber gets a synthetic `ready` so views refetch what they missed.
 */
export function LiveProvider({ companyId, children }: { companyId: string | null; children: ReactNode }) {
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
    if (!companyId || typeof EventSource === "undefined") return;
    setState("connecting");
    const source = new EventSource(api.eventsUrl(companyId));
    const emit = (event: LiveEvent) => {
      for (const l of [...listeners.current]) l(event);
    };
    for (const type of LIVE_EVENT_TYPES) {
      source.addEventListener(type, (message) => {
        const event = parseLiveEvent((message as MessageEvent<string>).data);
        if (type === "ready") {
          setState("open");
          emit({ type: "ready", companyId, payload: {} });
        } else if (event) emit(event);
      });
    }
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? "closed" : "connecting");
    return () => {
      source.close();
      setState("closed");
    };
  }, [companyId]);

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
