import { Cron } from "croner";

/**
 * Schedule previews, computed in the browser with croner, the library the server steps schedules
 * with (same 5-field mode), so the preview and the server's `nextRunAt` agree.
 */

/** The browser's IANA time zone: the default zone of a new schedule and the zone times are shown in. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export type SchedulePreview = { ok: true; times: Date[] } | { ok: false; field: "cronExpression" | "timezone"; message: string };

/** The next `count` ticks of (expression, zone) after `from`, or why the schedule is invalid (named like the server's 400). */
export function previewSchedule(cronExpression: string, timezone: string, count = 5, from: Date = new Date()): SchedulePreview {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    return { ok: false, field: "timezone", message: `Unknown IANA time zone: ${timezone}` };
  }
  try {
    const cron = new Cron(cronExpression.trim(), { timezone, paused: true, mode: "5-part" });
    return { ok: true, times: cron.nextRuns(count, from) };
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern: /, "") : String(error);
    return { ok: false, field: "cronExpression", message: reason };
  }
}

/** A fire time in the viewer's zone, with the zone's short name so it is never ambiguous. */
export function formatFireTime(at: Date | string, timeZone: string = browserTimeZone()): string {
  return new Intl.DateTimeFormat(undefined, {
    weekday: "short",
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
    timeZoneName: "short",
  }).format(typeof at === "string" ? new Date(at) : at);
}
