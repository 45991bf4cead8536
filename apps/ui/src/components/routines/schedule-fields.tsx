import { useMemo } from "react";
import { Field } from "../ui.js";
import { browserTimeZone, formatFireTime, previewSchedule } from "./schedule.js";

export interface ScheduleValues {
  cronExpression: string;
  timezone: string;
}

export const emptySchedule = (): ScheduleValues => ({ cronExpression: "", timezone: browserTimeZone() });

/**
 * Cron expression and time zone inputs with the next five fire times, shown in the viewer's zone
 * (the zone the schedule runs in may differ: "09:00 New York" shows as 15:00 in Amsterdam).
 */
export function ScheduleFields({
  value,
  onChange,
  optional,
}: {
  value: ScheduleValues;
  onChange: (next: ScheduleValues) => void;
  /** When the expression may be left empty (a routine without a schedule). */
  optional?: boolean;
}) {
  const expr = value.cronExpression.trim();
  const preview = useMemo(() => (expr ? previewSchedule(expr, value.timezone.trim() || "UTC") : null), [expr, value.timezone]);
  const viewerZone = browserTimeZone();
  return (
    <>
      <div className="grid-2">
        <Field
          label="Cron expression"
          hint={`Five fields: minute hour day-of-month month day-of-week${optional ? "; leave empty for no schedule" : ""}`}
          error={preview && !preview.ok && preview.field === "cronExpression" ? preview.message : undefined}
        >
          {(id, describedBy) => (
            <input
              id={id}
              aria-describedby={describedBy}
              value={value.cronExpression}
              onChange={(e) => onChange({ ...value, cronExpression: e.target.value })}
              placeholder="0 9 * * 1"
              required={!optional}
              spellCheck={false}
            />
          )}
        </Field>
        <Field
          label="Time zone"
          hint="IANA name"
          error={preview && !preview.ok && preview.field === "timezone" ? preview.message : undefined}
        >
          {(id, describedBy) => (
            <input
              id={id}
              aria-describedby={describedBy}
              value={value.timezone}
              onChange={(e) => onChange({ ...value, timezone: e.target.value })}
            />
          )}
        </Field>
      </div>
      {preview?.ok ? (
        <div className="field">
          <span className="muted small">Next fire times ({viewerZone})</span>
          <ol className="plain" aria-label="Next fire times">
            {preview.times.map((t) => (
              <li key={t.toISOString()}>
                <time dateTime={t.toISOString()}>{formatFireTime(t, viewerZone)}</time>
              </li>
            ))}
          </ol>
        </div>
      ) : null}
    </>
  );
}

/** True when the values hold a schedule the preview accepts (an empty optional one counts as valid). */
export function scheduleIsValid(value: ScheduleValues, optional: boolean): boolean {
  const expr = value.cronExpression.trim();
  if (!expr) return optional;
  return previewSchedule(expr, value.timezone.trim() || "UTC", 1).ok;
}
