/**
 * Turns at the database: who runs the next statement or transaction when several wait.
 *
 * PGlite runs one statement at a time, synchronously, on this thread, and hands its lock to the
 * next waiter in a microtask. Under load (the run engine claiming, starting and finishing runs)
 * one waiter after another then ran inside a single microtask checkpoint: the event loop did not
 * get back to its sockets until the whole queue had drained, so a request's bytes sat unread for
 * as long as the queue was long (W2, 20 wakeups in flight with 200 runs going: the HTTP server saw
 * a wakeup 70–110 ms after it was sent and answered it ~2 ms later; a board read sent meanwhile
 * took 50–63 ms, p50).
 *
 * So:
 * - a turn that ends with others waiting hands over on a later turn of the event loop
 *   (`setImmediate`, after the poll phase has read what arrived) once the database has had the
 *   thread for `YIELD_AFTER_MS` since the loop last went round; before that, in a microtask;
 * - the next turn goes to a waiter in the foreground lane (requests) before one in the background
 *   lane (the run engine's own work, which no request waits on), but never more than
 *   `FOREGROUND_STREAK` foreground turns in a row while background work waits, so the engine keeps
 *   at least a quarter of a busy database and its leases, claims and finishes keep moving under any
 *   stream of requests. (Giving the background its turn by age instead did not work: under load
 *   every background waiter was soon old enough, and requests waited behind all of them.)
 *
 * On Postgres (postgres.ts) the same order applies to the pool's connections, `capacity` turns at
 * a time: under load the engine's checkouts used to fill the pool and a request queued behind
 * dozens of them (W2: a board read during the load took 39–48 ms p50, 166–196 ms p95; with turns
 * 18–22 / 70–77 ms).
 *
 * Only the order of turns changes: as many at a time as before (one on PGlite, the pool's size on
 * Postgres), a transaction holds its turn until it ends, and every claim, lease and transition is
 * still decided by the database. Uncontended, a turn is taken at once, with no extra trip through
 * the event loop. On PGlite, not re-entrant,
 * like the database itself: a transaction's function must use the transaction's queryable, never
 * the database (that waits for the transaction's own turn, as PGlite's lock always did).
 */
export type Lane = "foreground" | "background";

/** Foreground turns in a row at most while a background waiter waits (measured: docs/performance.md). */
export const FOREGROUND_STREAK = 3;

/** Hand-overs stay in the current turn of the event loop for at most this long (ms). */
export const YIELD_AFTER_MS = 2;

export class DatabaseTurns {
  /** Turns held now (at most `capacity`). */
  #held = 0;
  /** When a hand-over last went through the event loop (performance.now()). */
  #loopTurnAt = Number.NEGATIVE_INFINITY;
  /** Foreground turns given in a row while background work waited. */
  #streak = 0;
  readonly #foreground: (() => void)[] = [];
  readonly #background: (() => void)[] = [];

  /**
   * `capacity`: how many may hold a turn at once (1 for PGlite, which runs one statement at a
   * time; a pool's size on Postgres).
   */
  constructor(
    private readonly capacity = 1,
    private readonly foregroundStreak = FOREGROUND_STREAK,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`DatabaseTurns: capacity must be a positive integer, got ${capacity}`);
  }

  /** Resolves when the caller holds a turn; it must call `release()` exactly once after. */
  acquire(lane: Lane): Promise<void> {
    if (this.#held < this.capacity) {
      this.#held++;
      return Promise.resolve();
    }
    return new Promise((resolve) => (lane === "foreground" ? this.#foreground : this.#background).push(resolve));
  }

  release(): void {
    if (this.#foreground.length === 0 && this.#background.length === 0) {
      this.#held--;
      return;
    }
    // The turn stays held through the hand-over, so what arrives meanwhile queues (and a request
    // among it can go first). Through the event loop only every YIELD_AFTER_MS: each trip costs the
    // loop a poll, and going through it at every hand-over cost W2 ~8 % more CPU
    // (docs/performance.md).
    if (performance.now() - this.#loopTurnAt < YIELD_AFTER_MS) {
      queueMicrotask(() => this.#handOver());
      return;
    }
    setImmediate(() => {
      this.#loopTurnAt = performance.now();
      this.#handOver();
    });
  }

  /** Waiting callers, by lane. */
  get waiting(): { foreground: number; background: number } {
    return { foreground: this.#foreground.length, background: this.#background.length };
  }

  #handOver(): void {
    const lane = nextLane(this.#foreground.length, this.#background.length, this.#streak, this.foregroundStreak);
    if (lane === undefined) {
      this.#held--;
      return;
    }
    this.#streak = lane === "foreground" && this.#background.length > 0 ? this.#streak + 1 : 0;
    (lane === "foreground" ? this.#foreground : this.#background).shift()!();
  }
}

/**
 * Whose turn is next: the foreground's, unless background work waits and the foreground has had
 * `limit` turns in a row; undefined when nobody waits.
 */
export function nextLane(foreground: number, background: number, streak: number, limit: number): Lane | undefined {
  if (foreground > 0 && (background === 0 || streak < limit)) return "foreground";
  if (background > 0) return "background";
  return undefined;
}

/** Runs `fn` holding a turn in `lane`. */
export async function withTurn<T>(turns: DatabaseTurns, lane: Lane, fn: () => Promise<T>): Promise<T> {
  await turns.acquire(lane);
  try {
    return await fn();
  } finally {
    turns.release();
  }
}
