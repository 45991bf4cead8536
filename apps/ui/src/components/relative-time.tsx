import { formatTime, relativeTime } from "../lib/format.js";
import { useNow } from "../lib/use-now.js";

/**
 * "12s ago" that stays true while the page is open: re-rendered every `everyMs` (the value itself
 * comes from the query cache, which the live feed refreshes). The exact time is the tooltip.
 */
export function RelativeTime({ iso, everyMs = 5000 }: { iso: string | null | undefined; everyMs?: number }) {
  const now = useNow(!!iso, everyMs);
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={formatTime(iso)}>
      {relativeTime(iso, now)}
    </time>
  );
}
