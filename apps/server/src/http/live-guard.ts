import { TERMINAL_RUN_STATUSES } from "@staple/contracts";
import type { StreamAccessCheck, StreamPrincipal, StreamRevocation } from "../auth/stream-access.js";
import type { LiveBus, LiveEvent } from "../live/bus.js";
import type { Logger } from "../logger.js";

/** How often every open stream's credential is re-checked against the database. */
export const STREAM_REVALIDATE_MS = 3_000;

export interface GuardedStream {
  onEvent(event: LiveEvent): void;
  /** Called once when the stream loses access; the stream sends its last message and closes. */
  onRevoked(reason: StreamRevocation): void;
}

interface Entry extends GuardedStream {
  principal: StreamPrincipal;
  /** Needs re-checking at all (the implicit local board has no credential to lose). */
  checked: boolean;
  /** Events held back while a re-check triggered by a credential-related event is in flight. */
  held: LiveEvent[] | null;
  closed: boolean;
}

interface CompanyState {
  entries: Set<Entry>;
  unsubscribe: () => void;
  checking: boolean;
  again: boolean;
}

/**
 * Live streams (SSE and WebSocket) subscribe through this guard, which ends a stream within
 * seconds of its credential becoming invalid. The database is the only source of truth, so it holds
 * with several servers on one Postgres:
 * - every STREAM_REVALIDATE_MS, one batched re-check of all open streams (catches everything,
 *   including changes made by another server whose events were missed);
 * - immediately, when the bus (NOTIFY, so it crosses servers) carries an event that may change a
 *   credential (agent activity such as a key revocation, pause or termination; an agent status
 *   change; a run reaching a terminal status). Delivery to that company's checked streams is held
 *   back until the re-check completes. NOTIFYs arrive in commit order, so no event committed after
 *   the revocation reaches a stream that the re-check closes.
 */
export function createLiveGuard(deps: { bus: LiveBus; check: StreamAccessCheck; logger: Logger; intervalMs?: number }) {
  const companies = new Map<string, CompanyState>();
  let timer: NodeJS.Timeout | undefined;
  let sweeping = false;

  const checkedEntries = (state: CompanyState) => [...state.entries].filter((e) => e.checked && !e.closed);

  function revoke(entry: Entry, reason: StreamRevocation) {
    if (entry.closed) return;
    remove(entry);
    entry.held = null;
    try {
      entry.onRevoked(reason);
    } catch (error) {
      deps.logger.warn("closing a revoked live stream failed", { err: error });
    }
  }

  async function apply(entries: Entry[]) {
    if (entries.length === 0) return;
    const verdicts = await deps.check.revalidate(entries.map((e) => e.principal));
    entries.forEach((entry, i) => {
      const verdict = verdicts[i];
      if (verdict) revoke(entry, verdict);
    });
  }

  function deliver(entry: Entry, event: LiveEvent) {
    if (entry.closed) return;
    if (entry.held) entry.held.push(event);
    else entry.onEvent(event);
  }

  async function recheckCompany(companyId: string, state: CompanyState) {
    for (const entry of checkedEntries(state)) entry.held ??= [];
    if (state.checking) {
      state.again = true;
      return;
    }
    state.checking = true;
    try {
      do {
        state.again = false;
        await apply(checkedEntries(state)).catch((error: unknown) =>
          deps.logger.warn("live stream re-check failed", { companyId, err: error }),
        );
      } while (state.again);
    } finally {
      state.checking = false;
      for (const entry of [...state.entries]) {
        const held = entry.held;
        entry.held = null;
        for (const event of held ?? []) deliver(entry, event);
      }
    }
  }

  function onCompanyEvent(companyId: string, state: CompanyState, event: LiveEvent) {
    if (mayChangeAccess(event) && checkedEntries(state).length > 0) void recheckCompany(companyId, state);
    for (const entry of [...state.entries]) {
      try {
        deliver(entry, event);
      } catch (error) {
        deps.logger.warn("live stream delivery failed", { err: error });
      }
    }
  }

  async function sweep() {
    if (sweeping) return;
    sweeping = true;
    try {
      const all = [...companies.values()].flatMap(checkedEntries);
      await apply(all);
    } catch (error) {
      deps.logger.warn("live stream sweep failed", { err: error });
    } finally {
      sweeping = false;
    }
  }

  function updateTimer() {
    const needed = [...companies.values()].some((state) => checkedEntries(state).length > 0);
    if (needed && !timer) {
      timer = setInterval(() => void sweep(), deps.intervalMs ?? STREAM_REVALIDATE_MS);
      timer.unref();
    } else if (!needed && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  function remove(entry: Entry) {
    entry.closed = true;
    const state = companies.get(entry.principal.companyId);
    if (!state) return;
    state.entries.delete(entry);
    if (state.entries.size === 0) {
      state.unsubscribe();
      companies.delete(entry.principal.companyId);
    }
    updateTimer();
  }

  return {
    /** Subscribes a stream to its company's events; returns the unsubscribe function. */
    subscribe(principal: StreamPrincipal, stream: GuardedStream): () => void {
      const { companyId, actor } = principal;
      const entry: Entry = {
        ...stream,
        principal,
        checked: !(actor.kind === "board" && actor.source === "local_implicit"),
        held: null,
        closed: false,
      };
      let state = companies.get(companyId);
      if (!state) {
        const fresh: CompanyState = { entries: new Set(), unsubscribe: () => {}, checking: false, again: false };
        fresh.unsubscribe = deps.bus.subscribe(companyId, (event) => onCompanyEvent(companyId, fresh, event));
        companies.set(companyId, (state = fresh));
      }
      state.entries.add(entry);
      updateTimer();
      return () => remove(entry);
    },
    /** Runs one re-check of every open stream now (the periodic pass; exposed for tests). */
    sweep,
    openCount: () => [...companies.values()].reduce((n, s) => n + s.entries.size, 0),
  };
}
export type LiveGuard = ReturnType<typeof createLiveGuard>;

const TERMINAL: readonly string[] = TERMINAL_RUN_STATUSES;

/** Events after which some stream's credential may have stopped being valid. */
function mayChangeAccess(event: LiveEvent): boolean {
  switch (event.type) {
    case "agent.status":
      return true;
    case "heartbeat.run.status":
      return TERMINAL.includes(String(event.payload.status));
    case "activity.logged":
      return ["agent", "heartbeat_run", "board_api_key", "board_session"].includes(String(event.payload.entityType));
    default:
      return false;
  }
}
