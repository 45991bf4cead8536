import { z } from "zod";
import type { Queryable } from "../db/database.js";

/**
 * Per-company wake breaker settings (docs/runs.md#loop-breaker, #quota-breaker). Companies without
 * a row use the defaults; a PATCH stores the whole effective row.
 */
export interface WakeBreakerSettings {
  loopBreaker: { enabled: boolean; maxWakes: number; windowMinutes: number };
  quotaBreaker: { enabled: boolean };
}

/**
 * Conservative defaults: ten wakes on one issue within an hour with no progress signal is far
 * beyond a normal back-and-forth, yet stops an overnight loop after minutes instead of hours.
 */
export const DEFAULT_WAKE_BREAKER_SETTINGS: Readonly<WakeBreakerSettings> = Object.freeze({
  loopBreaker: Object.freeze({ enabled: true, maxWakes: 10, windowMinutes: 60 }),
  quotaBreaker: Object.freeze({ enabled: true }),
});

export const WakeBreakerSettingsSchema = z.object({
  loopBreaker: z.object({ enabled: z.boolean(), maxWakes: z.number().int(), windowMinutes: z.number().int() }),
  quotaBreaker: z.object({ enabled: z.boolean() }),
});

export const PatchWakeBreakerSettingsBody = z.strictObject({
  loopBreaker: z
    .strictObject({
      enabled: z.boolean().optional(),
      maxWakes: z.number().int().min(2).max(1000).optional(),
      windowMinutes: z.number().int().min(1).max(10_080).optional(),
    })
    .optional(),
  quotaBreaker: z.strictObject({ enabled: z.boolean().optional() }).optional(),
});
export type PatchWakeBreakerSettings = z.infer<typeof PatchWakeBreakerSettingsBody>;

interface Row {
  loopBreakerEnabled: boolean;
  loopMaxWakes: number;
  loopWindowMinutes: number;
  quotaBreakerEnabled: boolean;
}

const fromRow = (row: Row | undefined): WakeBreakerSettings =>
  row
    ? {
        loopBreaker: { enabled: row.loopBreakerEnabled, maxWakes: row.loopMaxWakes, windowMinutes: row.loopWindowMinutes },
        quotaBreaker: { enabled: row.quotaBreakerEnabled },
      }
    : (structuredClone(DEFAULT_WAKE_BREAKER_SETTINGS) as WakeBreakerSettings);

export async function getWakeBreakerSettings(q: Queryable, companyId: string): Promise<WakeBreakerSettings> {
  const [row] = await q.query<Row>(
    `SELECT loop_breaker_enabled, loop_max_wakes, loop_window_minutes, quota_breaker_enabled
       FROM company_wake_breaker_settings WHERE company_id = $1`,
    [companyId],
  );
  return fromRow(row);
}

export async function patchWakeBreakerSettings(
  q: Queryable,
  companyId: string,
  patch: PatchWakeBreakerSettings,
): Promise<WakeBreakerSettings> {
  const current = await getWakeBreakerSettings(q, companyId);
  const next: WakeBreakerSettings = {
    loopBreaker: { ...current.loopBreaker, ...stripUndefined(patch.loopBreaker ?? {}) },
    quotaBreaker: { ...current.quotaBreaker, ...stripUndefined(patch.quotaBreaker ?? {}) },
  };
  const [row] = await q.query<Row>(
    `INSERT INTO company_wake_breaker_settings (company_id, loop_breaker_enabled, loop_max_wakes, loop_window_minutes, quota_breaker_enabled)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (company_id) DO UPDATE SET loop_breaker_enabled = EXCLUDED.loop_breaker_enabled, loop_max_wakes = EXCLUDED.loop_max_wakes,
       loop_window_minutes = EXCLUDED.loop_window_minutes, quota_breaker_enabled = EXCLUDED.quota_breaker_enabled, updated_at = now()
     RETURNING loop_breaker_enabled, loop_max_wakes, loop_window_minutes, quota_breaker_enabled`,
    [companyId, next.loopBreaker.enabled, next.loopBreaker.maxWakes, next.loopBreaker.windowMinutes, next.quotaBreaker.enabled],
  );
  return fromRow(row);
}

function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
