import { useEffect, useState } from "react";

/**
 * The current time, re-read every `everyMs` while `active` (a live run's duration ticks; a
 * finished one does not keep a timer).
 */
export function useNow(active: boolean, everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [active, everyMs]);
  return now;
}
