import { safeText } from "./safe-text.js";

/**
 * Plain-text tables and the cell formats they use. Invariants: output is pure (no I/O), every row
 * has exactly one line (newlines in cells become spaces, long cells are cut with "…"), columns are
 * separated by two spaces and the last column is never padded (no trailing whitespace). Cell and
 * field values pass through safeText before they are measured: server text never reaches the
 * terminal with escape sequences, and widths count only what is shown.
 */

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
  /** Cells longer than this are cut; the default keeps ids (36 chars) whole. */
  max?: number;
}

const DEFAULT_MAX = 48;

export function cell(value: unknown, max = DEFAULT_MAX): string {
  const text = value === null || value === undefined ? "-" : safeText(String(value)).replace(/\s+/g, " ").trim();
  if (text === "") return "-";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => cell(c.value(row), c.max)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${[line(columns.map((c) => c.header)), ...cells.map(line)].join("\n")}\n`;
}

/** `key: value` lines with aligned values (for `show` commands). */
export function renderFields(fields: readonly [string, unknown][]): string {
  const width = Math.max(...fields.map(([k]) => k.length)) + 1;
  return (
    fields.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v === null || v === undefined || v === "" ? "-" : safeText(String(v))}`).join("\n") +
    "\n"
  );
}

/** ISO timestamp → `2026-01-02 03:04:05` (UTC, second precision); null → `-`. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "-";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 19).replace("T", " ");
}

/** Duration between two timestamps (`1.2s`, `3m04s`, `2h05m`); `-` when it has not started. */
export function formatDuration(from: string | null | undefined, to: string | null | undefined, now = Date.now()): string {
  if (!from) return "-";
  const ms = (to ? Date.parse(to) : now) - Date.parse(from);
  if (!Number.isFinite(ms) || ms < 0) return "-";
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Cents → `$12.34`. */
export function formatCents(cents: number | null | undefined): string {
  return typeof cents === "number" ? `$${(cents / 100).toFixed(2)}` : "-";
}
