import { Cron } from "croner";
import { validationError } from "../errors.js";

/**
 * Cron schedules, parsed and stepped by croner (5-field patterns only, as Paperclip documents them;
 * minute precision). A schedule is (expression, IANA time zone); "every day at 09:00" in
 * Europe/Amsterdam follows that zone's daylight-saving changes.
 */
export interface Schedule {
  cronExpression: string;
  timezone: string;
}

function assertTimeZone(timezone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    throw validationError(`timezone: unknown IANA time zone "${timezone}"`, [
      { path: ["timezone"], message: `Unknown IANA time zone: ${timezone}` },
    ]);
  }
}

/** The parsed schedule; a bad expression or zone is a 400 naming the field. */
export function parseSchedule(s: Schedule): Cron {
  assertTimeZone(s.timezone);
  try {
    return new Cron(s.cronExpression, { timezone: s.timezone, paused: true, mode: "5-part" });
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern: /, "") : String(error);
    throw validationError(`cronExpression: ${reason}`, [{ path: ["cronExpression"], message: reason }]);
  }
}

/** The first tick strictly after `after`. */
export function nextTick(s: Schedule, after: Date): Date | null {
  return parseSchedule(s).nextRun(after);
}

/**
 * The ticks a trigger owes at `now`, given its pending tick `due` (<= now): every tick in
 * [due, now], newest `cap` of them only, oldest first; and the first tick after `now`.
 * Bounded: croner walks back at most `cap` ticks from `now`, never across the whole gap.
 */
export function owedTicks(s: Schedule, due: Date, now: Date, cap: number): { ticks: Date[]; next: Date | null } {
  const cron = parseSchedule(s);
  const upToNow = cron.previousRuns(cap, new Date(now.getTime() + 1)).filter((t) => t.getTime() >= due.getTime());
  // `due` itself may not be a tick of the pattern any more (the expression was edited): it still fires once.
  const ticks = upToNow.length > 0 ? upToNow.reverse() : [due];
  return { ticks, next: cron.nextRun(now) };
}
