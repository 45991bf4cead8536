/**
 * Finds when a rate/usage limit lifts, from the text of a Claude error. Pure: `now` and the default time
 * zone are parameters.
 *
 * Recognised, first match wins:
 * - Unix epoch after a pipe, the CLI's machine form: "Claude AI usage limit reached|1763800000" (s or ms)
 * - an ISO timestamp after "resets"/"try again"/"retry": "try again at 2026-11-22T10:00:00Z"
 * - a relative delay: "retry after 30 seconds", "try again in 5 minutes", "resets in 2 hours", "Retry-After: 30"
 * - a wall-clock time, optionally with a date and a zone: "resets at 3pm", "resets 10:30 PM (UTC)",
 *   "resets 3pm (America/New_York)", "resets Nov 22, 9am", "resets 15:00 (Europe/Berlin)"
 *   A clock time without a date is its next occurrence after `now`; without a zone it is read in
 *   `defaultTimeZone` (the server's, which is also where the CLI formatted it).
 *
 * Returns null when nothing matches or the time is not in the future, or lies more than 31 days ahead.
 */

const MAX_AHEAD_MS = 31 * 24 * 3600 * 1000;
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

export function parseRetryNotBefore(text: string, now: Date, defaultTimeZone: string = localTimeZone()): Date | null {
  const found =
    epochAfterPipe(text) ?? isoAfterKeyword(text, defaultTimeZone) ?? relativeDelay(text, now) ?? wallClock(text, now, defaultTimeZone);
  if (found === null || Number.isNaN(found.getTime())) return null;
  const ahead = found.getTime() - now.getTime();
  return ahead > 0 && ahead <= MAX_AHEAD_MS ? found : null;
}

export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

function epochAfterPipe(text: string): Date | null {
  const match = /limit reached\s*\|\s*(\d{10,13})\b/i.exec(text);
  if (!match) return null;
  const value = Number(match[1]);
  return new Date(match[1]!.length === 13 ? value : value * 1000);
}

function isoAfterKeyword(text: string, timeZone: string): Date | null {
  const match =
    /(?:resets?|try again|retry)(?:\s+(?:at|after|on))?\s*:?\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?/i.exec(
      text,
    );
  if (!match) return null;
  const [, y, mo, d, h, mi, s, zone] = match;
  const parts = { year: Number(y), month: Number(mo), day: Number(d), hour: Number(h), minute: Number(mi), second: Number(s ?? 0) };
  if (zone === undefined) return zonedToDate(parts, timeZone);
  if (/^(?:z|utc)$/i.test(zone)) return zonedToDate(parts, "UTC");
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
  const utc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return new Date(utc - offsetMin * 60_000);
}

function relativeDelay(text: string, now: Date): Date | null {
  const match =
    /(?:(?:retry|try again)\s+(?:after|in)|resets?\s+in|retry-after:)\s*(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?)?\b/i.exec(
      text,
    );
  if (!match) return null;
  const unit = (match[2] ?? "s").toLowerCase();
  const factor = unit.startsWith("h") ? 3600 : unit.startsWith("m") ? 60 : 1;
  return new Date(now.getTime() + Number(match[1]) * factor * 1000);
}

function wallClock(text: string, now: Date, defaultTimeZone: string): Date | null {
  const match =
    /\bresets?\s+(?:at\s+|on\s+)?(?:([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(?:at\s+)?)?(\d{1,2})(?::(\d{2}))?\s*([ap])?\.?\s*(m\b)?\.?(?:\s*\(([^)]+)\))?/i.exec(
      text,
    );
  if (!match) return null;
  const [, monthName, dayText, hourText, minuteText, meridiem, mLetter, zoneText] = match;
  const hasMeridiem = meridiem !== undefined && mLetter !== undefined;
  if (!hasMeridiem && minuteText === undefined) return null; // "resets 3" or "resets 5 hours" is not a clock time
  let hour = Number(hourText);
  const minute = Number(minuteText ?? 0);
  if (minute > 59) return null;
  if (hasMeridiem) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (meridiem!.toLowerCase() === "p" ? 12 : 0);
  } else if (hour > 23) return null;
  const timeZone = normalizeTimeZone(zoneText) ?? defaultTimeZone;
  const today = zonedParts(now, timeZone);
  if (monthName !== undefined && dayText !== undefined) {
    const month = MONTHS.indexOf(monthName.slice(0, 3).toLowerCase()) + 1;
    if (month === 0) return null;
    const day = Number(dayText);
    for (const year of [today.year, today.year + 1]) {
      const at = zonedToDate({ year, month, day, hour, minute, second: 0 }, timeZone);
      if (at.getTime() > now.getTime()) return at;
    }
    return null;
  }
  for (const dayOffset of [0, 1]) {
    const base = new Date(Date.UTC(today.year, today.month - 1, today.day + dayOffset));
    const at = zonedToDate(
      { year: base.getUTCFullYear(), month: base.getUTCMonth() + 1, day: base.getUTCDate(), hour, minute, second: 0 },
      timeZone,
    );
    if (at.getTime() > now.getTime()) return at;
  }
  return null;
}

function normalizeTimeZone(zone: string | undefined): string | null {
  const name = zone?.trim();
  if (!name) return null;
  if (/^(?:utc|gmt|z)$/i.test(name)) return "UTC";
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return name;
  } catch {
    return null;
  }
}

interface WallParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function zonedParts(date: Date, timeZone: string): WallParts {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(date);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { year: get("year"), month: get("month"), day: get("day"), hour: get("hour"), minute: get("minute"), second: get("second") };
}

/** The instant when the wall clock in `timeZone` shows `wall` (the later one if a DST change repeats it). */
function zonedToDate(wall: WallParts, timeZone: string): Date {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  const offsetAt = (ms: number) => {
    const p = zonedParts(new Date(ms), timeZone);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - ms;
  };
  const first = asUtc - offsetAt(asUtc);
  const second = asUtc - offsetAt(first);
  return new Date(second);
}
