import { useCallback, useEffect, useRef, useState } from "react";
import type { LiveEvent } from "../api/types.js";
import { useLiveEvents } from "./live-context.js";
import { touches, type LiveInterest } from "./live.js";

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  setData: (update: (current: T | undefined) => T | undefined) => void;
}

/**
 * Loads `load()` when `key` changes, and again (debounced) whenever a live event matches `interest`
 * — or a `ready` event says the stream (re)connected. No polling.
 */
export function useResource<T>(key: string | null, load: () => Promise<T>, interest?: LiveInterest | ((event: LiveEvent) => boolean)): Resource<T> {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(key !== null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const generation = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const run = useCallback(() => {
    if (key === null) return;
    const gen = ++generation.current;
    setLoading(true);
    loadRef
      .current()
      .then((value) => {
        if (gen !== generation.current) return;
        setDataState(value);
        setError(undefined);
      })
      .catch((err: unknown) => {
        if (gen === generation.current) setError(err);
      })
      .finally(() => {
        if (gen === generation.current) setLoading(false);
      });
  }, [key]);

  useEffect(() => {
    setDataState(undefined);
    setError(undefined);
    run();
    return () => {
      generation.current++;
      clearTimeout(timer.current);
    };
  }, [run]);

  const reloadSoon = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = setTimeout(run, 120);
  }, [run]);

  useLiveEvents((event) => {
    if (!interest || key === null) return;
    const match = event.type === "ready" || (typeof interest === "function" ? interest(event) : touches(event, interest));
    if (match) reloadSoon();
  });

  const setData = useCallback((update: (current: T | undefined) => T | undefined) => setDataState((c) => update(c)), []);
  return { data, error, loading, reload: run, setData };
}
