import { z } from "zod";
import { AGENT_STATUSES, RUN_STATUSES, WAKE_SOURCES } from "./enums.js";
import { Uuid } from "./common.js";

/**
 * Live events of a company (SSE `/api/companies/:companyId/events`, WebSocket `…/events/ws`), declared
 * once: the event type -> the schema of its payload. The server's publish function is typed by this
 * map, so an unknown type or a wrong payload does not compile; clients parse with the same schemas.
 *
 * Payload schemas are plain (non-strict) objects: a client keeps working when the server adds a field.
 */
export const LIVE_EVENT_PAYLOADS = {
  /** A run was queued for an agent. */
  "heartbeat.run.queued": z.object({ runId: Uuid, agentId: Uuid, invocationSource: z.enum(WAKE_SOURCES) }),
  /** A run changed status (running, a terminal status, …). */
  "heartbeat.run.status": z.object({
    runId: Uuid,
    agentId: Uuid,
    status: z.enum(RUN_STATUSES),
    /** Sent with `running`. */
    startedAt: z.string().nullable().optional(),
    /** Sent with `cancelled`: why (e.g. `cancelled_by_board`). */
    errorCode: z.string().nullable().optional(),
  }),
  /**
   * A chunk of a run's output (at most LIVE_LOG_CHUNK_MAX characters). A chunk whose event would not
   * fit a NOTIFY payload arrives as `{runId, agentId, truncated: true}` without `chunk`: read the log.
   */
  "heartbeat.run.log": z.object({ runId: Uuid, agentId: Uuid, chunk: z.string().optional(), truncated: z.literal(true).optional() }),
  /** An agent's status changed (after a run started or finished). */
  "agent.status": z.object({ agentId: Uuid, status: z.enum(AGENT_STATUSES) }),
  /** An activity row was written (announced by a database trigger on commit). */
  "activity.logged": z.object({
    id: Uuid,
    action: z.string(),
    entityType: z.string(),
    entityId: z.string(),
    actorType: z.string(),
    actorId: z.string(),
    agentId: Uuid.nullable(),
    runId: Uuid.nullable(),
  }),
} as const;

export type LiveEventType = keyof typeof LIVE_EVENT_PAYLOADS;
export const LIVE_EVENT_TYPES = Object.freeze(Object.keys(LIVE_EVENT_PAYLOADS) as LiveEventType[]);

/** What a publisher passes for an event type (before parsing: uuids in any case). */
export type LiveEventPayloadInput<T extends LiveEventType> = z.input<(typeof LIVE_EVENT_PAYLOADS)[T]>;
/** What a client reads for an event type. */
export type LiveEventPayload<T extends LiveEventType> = z.output<(typeof LIVE_EVENT_PAYLOADS)[T]>;

const envelope = <T extends LiveEventType>(type: T) =>
  z
    .object({ type: z.literal(type), companyId: Uuid, at: z.string(), payload: LIVE_EVENT_PAYLOADS[type] })
    .meta({ id: `LiveEvent_${type.replaceAll(".", "_")}` });

/** One live event: `{type, companyId, at, payload}`, discriminated by `type`. */
export const LiveEvent = z
  .discriminatedUnion("type", [
    envelope("heartbeat.run.queued"),
    envelope("heartbeat.run.status"),
    envelope("heartbeat.run.log"),
    envelope("agent.status"),
    envelope("activity.logged"),
  ])
  .meta({ id: "LiveEvent" });
export type LiveEvent = z.output<typeof LiveEvent>;
/** The event of one type. */
export type LiveEventOf<T extends LiveEventType> = Extract<LiveEvent, { type: T }>;

/**
 * Messages of the stream itself, next to the events: `ready` when the stream is open, and
 * `stream.closed` (then the stream ends) when the credential that opened it stopped being valid.
 * Over SSE they are the event name with `data: {companyId[, reason]}`; over WebSocket `type` is a field.
 */
export const LiveStreamReady = z.object({ type: z.literal("ready"), companyId: z.string() }).meta({ id: "LiveStreamReady" });
export const LiveStreamClosed = z
  .object({ type: z.literal("stream.closed"), companyId: z.string(), reason: z.string() })
  .meta({ id: "LiveStreamClosed" });
/** Everything a WebSocket client receives. */
export const LiveStreamMessage = z.union([LiveEvent, LiveStreamReady, LiveStreamClosed]).meta({ id: "LiveStreamMessage" });
export type LiveStreamMessage = z.output<typeof LiveStreamMessage>;
