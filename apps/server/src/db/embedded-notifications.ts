import type { PGlite } from "@electric-sql/pglite";

type Handler = (payload: string) => void;

/**
 * LISTEN/NOTIFY on the embedded database, with the handlers kept here rather than in PGlite.
 *
 * A notification reaches this process inside the response of whatever statement committed it.
 * PGlite's own parser reads the responses of `exec`, `query` and transactions' BEGIN/COMMIT and
 * reports every notification it sees through `onNotification`; the prepared-statement path reads
 * its responses itself (embedded-protocol.ts) and passes the notifications it finds to `deliver`.
 * Each notification is read by exactly one of the two, so each handler sees it once.
 *
 * Handlers run on the next turn of the event loop (`setImmediate`), not in a microtask as PGlite's
 * own `listen` does: the commit that sent the notification finishes first, so a wakeup's 202 is
 * written before the dispatcher it notified starts claiming (alternated in W2, 3 runs each: W2′
 * wakeup -> 202 p50 6.6-9.2 ms in a microtask against 6.0-6.4 ms on the next turn, the 200 runs
 * 2.9-3.2 s against 2.7-2.9 s). Delivery stays in commit order.
 */
export class EmbeddedNotifications {
  readonly #handlers = new Map<string, Set<Handler>>();

  constructor(private readonly pg: PGlite) {
    pg.onNotification((channel, payload) => this.deliver(channel, payload));
  }

  deliver(channel: string, payload: string): void {
    const handlers = this.#handlers.get(channel);
    if (!handlers) return;
    setImmediate(() => {
      for (const handler of [...handlers]) handler(payload);
    });
  }

  /** Starts listening on `channel` (an exact name: it is quoted); the result stops this handler. */
  async listen(channel: string, handler: Handler): Promise<() => Promise<void>> {
    let handlers = this.#handlers.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.#handlers.set(channel, handlers);
      try {
        await this.pg.exec(`LISTEN ${quoteChannel(channel)}`);
      } catch (error) {
        this.#handlers.delete(channel);
        throw error;
      }
    }
    handlers.add(handler);
    return async () => {
      const current = this.#handlers.get(channel);
      if (!current?.delete(handler) || current.size > 0) return;
      this.#handlers.delete(channel);
      if (!this.pg.closed) await this.pg.exec(`UNLISTEN ${quoteChannel(channel)}`);
    };
  }
}

const quoteChannel = (channel: string) => `"${channel.replace(/"/g, '""')}"`;
