import type { LiveEvent, LiveEventPayloadInput, LiveEventType } from "@staple/contracts";
import type { Database, Queryable } from "../db/database.js";
import type { Logger } from "../logger.js";

/** The NOTIFY channel carrying live events between server instances. */
export const LIVE_CHANNEL = "staple_live";
/** NOTIFY payloads must stay under 8000 bytes; log chunks are trimmed to this for the live feed. */
export const LIVE_LOG_CHUNK_MAX = 4000;

/** Event types and payloads are declared once, in @staple/contracts (LIVE_EVENT_PAYLOADS). */
export type { LiveEvent, LiveEventType } from "@staple/contracts";

export type LiveSubscriber = (event: LiveEvent) => void;

/**
 * Live events for the board (WebSocket/SSE). Publishing is a NOTIFY on the database: inside a
 * transaction it is delivered only if the transaction commits, and every server instance listening
 * on the channel receives it, so a client connected to any instance sees every event once.
 */
export function createLiveBus(db: Database, logger: Logger) {
  const subscribers = new Map<string, Set<LiveSubscriber>>();
  let stopListening: (() => Promise<void>) | undefined;

  const dispatch = (raw: string) => {
    let event: LiveEvent;
    try {
      event = JSON.parse(raw) as LiveEvent;
    } catch {
      return;
    }
    const set = subscribers.get(event.companyId);
    if (!set) return;
    for (const fn of set) {
      try {
        fn(event);
      } catch (error) {
        logger.warn("live subscriber failed", { err: error });
      }
    }
  };

  // Embedded: one process, so the activity trigger only needs to announce while someone listens.
  let activitySwitch: Promise<unknown> = Promise.resolve();
  const setActivityAnnouncements = (on: boolean) => {
    if (db.kind !== "embedded") return;
    activitySwitch = activitySwitch.then(() => db.query(`SET staple.live_activity = '${on ? "on" : "off"}'`)).catch(() => {});
  };

  // The embedded database has exactly one server process: with no local subscriber nobody can
  // hear an event, so it is not sent. On a Postgres server other instances may be listening.
  const audible = () => db.kind !== "embedded" || subscribers.size > 0;

  return {
    async start() {
      stopListening ??= await db.listen(LIVE_CHANNEL, dispatch);
      setActivityAnnouncements(subscribers.size > 0);
      await activitySwitch;
    },
    async stop() {
      await stopListening?.();
      stopListening = undefined;
    },
    /** Announces an event; pass the transaction when the event describes its (uncommitted) work. */
    async publish<T extends LiveEventType>(q: Queryable, type: T, companyId: string, payload: LiveEventPayloadInput<T>) {
      if (!audible()) return;
      await q.query("SELECT pg_notify($1, $2)", [LIVE_CHANNEL, liveEventText(type, companyId, payload)]);
    },
    /**
     * The NOTIFY text of an event when someone can hear it, else null: for a caller that sends it
     * with a statement of its own (`pg_notify('${LIVE_CHANNEL}', $n)`) instead of one more statement.
     */
    text<T extends LiveEventType>(type: T, companyId: string, payload: LiveEventPayloadInput<T>): string | null {
      if (!audible()) return null;
      return liveEventText(type, companyId, payload);
    },
    /** Announces several events with one statement, in order. */
    async publishAll(q: Queryable, events: readonly LiveEventInput[]) {
      if (events.length === 0 || !audible()) return;
      const texts = events.map((e) => liveEventText(e.type, e.companyId, e.payload as never));
      await q.query("SELECT pg_notify($1, t) FROM unnest($2::text[]) WITH ORDINALITY AS e(t, n) ORDER BY n", [LIVE_CHANNEL, texts]);
    },
    subscribe(companyId: string, fn: LiveSubscriber): () => void {
      const wasSilent = subscribers.size === 0;
      let set = subscribers.get(companyId);
      if (!set) subscribers.set(companyId, (set = new Set()));
      set.add(fn);
      if (wasSilent) setActivityAnnouncements(true);
      return () => {
        set!.delete(fn);
        if (set!.size === 0) subscribers.delete(companyId);
        if (subscribers.size === 0) setActivityAnnouncements(false);
      };
    },
    subscriberCount: () => [...subscribers.values()].reduce((n, s) => n + s.size, 0),
    /** True when a publish can reach someone (skip building expensive payloads otherwise). */
    get audible() {
      return audible();
    },
  };
}
export type LiveBus = ReturnType<typeof createLiveBus>;

/** One event for `publishAll`. */
export type LiveEventInput = { [T in LiveEventType]: { type: T; companyId: string; payload: LiveEventPayloadInput<T> } }[LiveEventType];

/**
 * The NOTIFY text of one event, typed by the event map. Only a log chunk can outgrow the NOTIFY limit
 * (every other payload is ids and states): such an event keeps its ids and says `truncated`.
 */
export function liveEventText<T extends LiveEventType>(type: T, companyId: string, payload: LiveEventPayloadInput<T>): string {
  const event = { type, companyId, at: new Date().toISOString(), payload };
  const text = JSON.stringify(event);
  if (text.length <= 7900) return text;
  return JSON.stringify({ ...event, payload: { truncated: true, ...pick(payload, ["runId", "agentId", "status", "seq"]) } });
}

function pick(source: object, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in source).map((k) => [k, (source as Record<string, unknown>)[k]]));
}
