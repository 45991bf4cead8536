import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { useLiveEvents } from "../lib/live-context.js";
import { buildTranscript, parseLog, type LogLine } from "../lib/transcript.js";
import { Empty } from "./ui.js";

/**
 * Reads a run's NDJSON log from the last offset, appending only new whole lines; refreshes on live
 * log/status events for the run. Not a cached query: each read continues from the previous one.
 */
export function useRunLog(runId: string) {
  const api = useApi();
  const [lines, setLines] = useState<LogLine[]>([]);
  const [raw, setRaw] = useState("");
  const [missing, setMissing] = useState(false);
  const offset = useRef(0);
  const inFlight = useRef(false);
  const again = useRef(false);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const fetchMore = useCallback(async () => {
    if (inFlight.current) {
      again.current = true;
      return;
    }
    inFlight.current = true;
    try {
      // Bounded: at most 20 slices (20 MB) per refresh.
      for (let i = 0; i < 20; i++) {
        const slice = await unwrap(
          api.GET("/api/heartbeat-runs/{id}/log", { params: { path: { id: runId }, query: { offset: String(offset.current) } } }),
        );
        setMissing(false);
        // A capped log starts later than asked once older output was dropped: continue from where it starts.
        if (slice.offset !== undefined && slice.offset > offset.current) offset.current = slice.offset;
        // Only whole lines are consumed; a partial last line is read again next time.
        const end = slice.content.lastIndexOf("\n") + 1;
        const whole = slice.content.slice(0, end);
        if (whole) {
          offset.current += new TextEncoder().encode(whole).length;
          setRaw((r) => r + whole);
          setLines((l) => [...l, ...parseLog(whole)]);
        }
        if (slice.nextOffset === undefined || !end) break;
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) setMissing(true);
    } finally {
      inFlight.current = false;
      if (again.current) {
        again.current = false;
        void fetchMore();
      }
    }
  }, [api, runId]);

  useEffect(() => {
    offset.current = 0;
    setLines([]);
    setRaw("");
    void fetchMore();
    return () => clearTimeout(timer.current);
  }, [fetchMore]);

  useLiveEvents((event) => {
    const isThisRun = event.payload.runId === runId;
    if (event.type === "ready" || (isThisRun && (event.type === "heartbeat.run.log" || event.type === "heartbeat.run.status"))) {
      clearTimeout(timer.current);
      timer.current = setTimeout(() => void fetchMore(), 100);
    }
  });

  return { lines, raw, missing };
}

export function Transcript({ lines, live, label = "Transcript" }: { lines: LogLine[]; live: boolean; label?: string }) {
  const blocks = useMemo(() => buildTranscript(lines), [lines]);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el && live) el.scrollTop = el.scrollHeight;
  }, [blocks, live]);
  return (
    <div className="transcript" ref={ref} tabIndex={0} role="log" aria-label={label} aria-live={live ? "polite" : "off"}>
      {blocks.length === 0 ? (
        <Empty>{live ? "Waiting for output…" : "No output."}</Empty>
      ) : (
        blocks.map((b, i) => (
          <pre key={i} className={`block stream-${b.stream}`}>
            {b.stream !== "stdout" ? <span className="stream-label">{b.stream}</span> : null}
            {b.text}
          </pre>
        ))
      )}
    </div>
  );
}

export function RawLog({ raw }: { raw: string }) {
  return (
    <details className="raw-log">
      <summary>Raw log (NDJSON, {new TextEncoder().encode(raw).length.toLocaleString()} bytes)</summary>
      <pre tabIndex={0} aria-label="Raw log">
        {raw || "(empty)"}
      </pre>
    </details>
  );
}
