import { duration } from "../lib/format.js";
import { useNow } from "../lib/use-now.js";

/** A run's duration: ticks every second while the run has started and not finished. */
export function LiveDuration({ startedAt, finishedAt }: { startedAt: string | null | undefined; finishedAt: string | null | undefined }) {
  const ticking = !!startedAt && !finishedAt;
  const now = useNow(ticking);
  if (!startedAt) return <span className="muted">not started</span>;
  return (
    <span className="ticking" data-ticking={ticking || undefined}>
      {duration(startedAt, finishedAt, now)}
    </span>
  );
}
