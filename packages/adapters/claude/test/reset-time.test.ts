import { describe, expect, it } from "vitest";
import { parseRetryNotBefore } from "../src/reset-time.js";

const NOW = new Date("2026-11-21T12:00:00Z");

describe("parseRetryNotBefore", () => {
  const cases: Array<[string, string | null]> = [
    // wall-clock times, next occurrence after NOW, default zone UTC
    ["You've hit your limit · resets at 3pm", "2026-11-21T15:00:00.000Z"],
    ["Usage limit reached, resets 10:30 PM (UTC)", "2026-11-21T22:30:00.000Z"],
    ["resets 9am", "2026-11-22T09:00:00.000Z"],
    ["resets 3 p.m.", "2026-11-21T15:00:00.000Z"],
    ["resets 12am", "2026-11-22T00:00:00.000Z"],
    ["resets 12pm", "2026-11-22T12:00:00.000Z"], // exactly now is not in the future
    ["You've hit your session limit · resets 3pm (America/New_York)", "2026-11-21T20:00:00.000Z"],
    ["resets 15:00 (Europe/Berlin)", "2026-11-21T14:00:00.000Z"],
    ["resets 11:45 (GMT)", "2026-11-22T11:45:00.000Z"],
    ["resets 3pm (Not/AZone)", "2026-11-21T15:00:00.000Z"], // unknown zone: default zone
    // with a date
    ["You've hit your weekly limit · resets Nov 22, 9am", "2026-11-22T09:00:00.000Z"],
    ["resets Dec 3 at 5pm (UTC)", "2026-12-03T17:00:00.000Z"],
    ["resets on December 1st, 8:15 am", "2026-12-01T08:15:00.000Z"],
    // absolute timestamps
    ["Rate limited. Try again at 2026-11-22T10:00:00Z", "2026-11-22T10:00:00.000Z"],
    ["resets at 2026-11-21T18:30:00+02:00", "2026-11-21T16:30:00.000Z"],
    ["retry after 2026-11-21 13:05:00 UTC", "2026-11-21T13:05:00.000Z"],
    ["Claude AI usage limit reached|1795280400", "2026-11-21T17:00:00.000Z"],
    ["Claude AI usage limit reached|1795280400000", "2026-11-21T17:00:00.000Z"],
    // relative delays
    ["429 Too Many Requests: retry after 30 seconds", "2026-11-21T12:00:30.000Z"],
    ["Overloaded, try again in 5 minutes", "2026-11-21T12:05:00.000Z"],
    ["limit resets in 2 hours", "2026-11-21T14:00:00.000Z"],
    ["Retry-After: 120", "2026-11-21T12:02:00.000Z"],
    // nothing usable
    ["API Error: 429 rate limited", null],
    ["resets 3", null],
    ["resets 13pm", null],
    ["resets 24:10", null],
    ["try again at 2020-01-01T00:00:00Z", null],
    ["Claude AI usage limit reached|1000000000", null],
    ["resets in 900 hours", null], // more than 31 days ahead
    ["resets Nov 20, 9am", null], // yesterday's date means next year: too far ahead
    ["", null],
  ];
  it.each(cases)("%j -> %s", (text, expected) => {
    expect(parseRetryNotBefore(text, NOW, "UTC")?.toISOString() ?? null).toBe(expected);
  });

  it("reads a clock time without a zone in the default zone, daylight saving included", () => {
    expect(parseRetryNotBefore("resets 3pm", NOW, "America/Los_Angeles")?.toISOString()).toBe("2026-11-21T23:00:00.000Z");
    const summer = new Date("2026-07-01T12:00:00Z");
    expect(parseRetryNotBefore("resets 3pm (America/New_York)", summer, "UTC")?.toISOString()).toBe("2026-07-01T19:00:00.000Z");
  });
});
