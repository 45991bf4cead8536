/**
 * Finds when an upstream says a request may be retried, in free error text.
 *
 * Forms understood (case-insensitive), each relative to `now`:
 * - "try again at <time>" as codex prints it (codex-rs core/src/error.rs `format_retry_timestamp`, local
 *   time of the codex process): "3:45 PM" when the reset is today, "Jul 9th, 2026 1:47 AM" otherwise.
 *   Also "Aug 10, 2026, 11:12 AM", 24-hour "15:45", an optional trailing "UTC"/"GMT"/"Z", and ISO 8601.
 * - "try again in <duration>": "30 seconds", "5 minutes", "2 hours", "1.5s", "417ms", "6m0s", "1h2m".
 * A bare time of day is today in local time; if that is more than 5 minutes in the past it means tomorrow.
 *
 * Invariants: returns an ISO timestamp or null (never throws); with several hints the latest one wins;
 * a date that does not exist (Feb 30, 25:00) is ignored rather than rolled over.
 */
export function parseRetryNotBefore(text: string, now: Date = new Date()): string | null {
  let best: number | null = null;
  const consider = (ms: number | null): void => {
    if (ms !== null && Number.isFinite(ms) && (best === null || ms > best)) best = ms;
  };
  for (const match of text.matchAll(/try again at\s+([^\n]{1,80})/gi)) consider(parseAbsolute(match[1] ?? "", now));
  for (const match of text.matchAll(/try again in\s+([^\n]{1,60})/gi)) {
    const ms = parseDurationMs(match[1] ?? "");
    consider(ms === null ? null : now.getTime() + ms);
  }
  return best === null ? null : new Date(best).toISOString();
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const PAST_TOLERANCE_MS = 5 * 60 * 1000;

/** Epoch ms of the time described at the start of `text`, or null. */
export function parseAbsolute(text: string, now: Date): number | null {
  const s = text.trim();
  const iso = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)/i.exec(s);
  if (iso?.[1]) {
    const ms = Date.parse(iso[1].replace(" ", "T"));
    return Number.isNaN(ms) ? null : ms;
  }
  // "Jul 9th, 2026 1:47 AM" / "Aug 10, 2026, 11:12 AM" / "July 9 2026 13:47"
  const dated =
    /^([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4}),?\s+(?:at\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?\s*(utc|gmt|z)?\b/i.exec(
      s,
    );
  if (dated) {
    const month = MONTHS.indexOf((dated[1] ?? "").slice(0, 3).toLowerCase());
    const clock = toClock(dated[4], dated[5], dated[6], dated[7]);
    if (month === -1 || clock === null) return null;
    return makeTime(Number(dated[3]), month, Number(dated[2]), clock, Boolean(dated[8]));
  }
  // "3:45 PM" / "15:45" (today, else tomorrow)
  const timeOnly = /^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap]\.?m\.?)?\s*(utc|gmt|z)?(?![\d:])/i.exec(s);
  if (timeOnly) {
    const clock = toClock(timeOnly[1], timeOnly[2], timeOnly[3], timeOnly[4]);
    if (clock === null) return null;
    const utc = Boolean(timeOnly[5]);
    const y = utc ? now.getUTCFullYear() : now.getFullYear();
    const m = utc ? now.getUTCMonth() : now.getMonth();
    const d = utc ? now.getUTCDate() : now.getDate();
    let ms = makeTime(y, m, d, clock, utc);
    if (ms !== null && ms < now.getTime() - PAST_TOLERANCE_MS) ms = makeTime(y, m, d + 1, clock, utc, true);
    return ms;
  }
  return null;
}

interface Clock {
  h: number;
  min: number;
  sec: number;
}

function toClock(h?: string, min?: string, sec?: string, meridiem?: string): Clock | null {
  let hour = Number(h);
  const minute = Number(min);
  const second = sec ? Number(sec) : 0;
  if (!Number.isInteger(hour) || !Number.isInteger(minute) || minute > 59 || second > 59) return null;
  if (meridiem) {
    if (hour < 1 || hour > 12) return null;
    const pm = meridiem.toLowerCase().startsWith("p");
    hour = (hour % 12) + (pm ? 12 : 0);
  } else if (hour > 23) {
    return null;
  }
  return { h: hour, min: minute, sec: second };
}

/** Epoch ms for a calendar time (local or UTC); null for a day that does not exist (unless `rollover`). */
function makeTime(year: number, month: number, day: number, clock: Clock, utc: boolean, rollover = false): number | null {
  const date = utc
    ? new Date(Date.UTC(year, month, day, clock.h, clock.min, clock.sec))
    : new Date(year, month, day, clock.h, clock.min, clock.sec);
  if (!rollover && (utc ? date.getUTCDate() : date.getDate()) !== day) return null;
  return date.getTime();
}

const UNIT_MS: Array<[RegExp, number]> = [
  [/^(?:ms|msecs?|milliseconds?)$/i, 1],
  [/^(?:s|secs?|seconds?)$/i, 1000],
  [/^(?:m|mins?|minutes?)$/i, 60_000],
  [/^(?:h|hrs?|hours?)$/i, 3_600_000],
];

/** "30 seconds", "1.5s", "6m0s", "1 hour 5 minutes", "417ms" -> ms; null when no duration starts the text. */
export function parseDurationMs(text: string): number | null {
  const re = /^\s*(?:and\s+|,\s*)?(\d+(?:\.\d+)?)\s*(milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)(?![a-z])/i;
  let rest = text;
  let total = 0;
  let found = false;
  for (;;) {
    const match = re.exec(rest);
    if (!match) break;
    const unit = UNIT_MS.find(([pattern]) => pattern.test(match[2] ?? ""));
    if (!unit) break;
    total += Number(match[1]) * unit[1];
    found = true;
    rest = rest.slice(match[0].length);
  }
  return found ? Math.round(total) : null;
}
