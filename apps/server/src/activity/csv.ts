import type { ActivityRow } from "./service.js";

/** Columns of the activity export, in order. */
export const ACTIVITY_CSV_COLUMNS = [
  "createdAt",
  "actorType",
  "actorId",
  "actorName",
  "action",
  "entityType",
  "entityId",
  "identifier",
  "agentId",
  "runId",
  "details",
] as const;

/**
 * One RFC 4180 field: quoted when it holds a comma, quote or line break. A value a spreadsheet would
 * read as a formula (leading =, +, -, @, tab or carriage return) gets a leading apostrophe, since
 * details carry text agents wrote.
 */
export function csvField(value: unknown): string {
  let text = value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The export: a header line, then one line per entry (CRLF line ends, as RFC 4180 writes them). */
export function activityCsv(rows: readonly (ActivityRow & { actorName: string | null })[]): string {
  const lines = [ACTIVITY_CSV_COLUMNS.join(",")];
  for (const r of rows) {
    const actorName = r.actorType === "agent" ? (r.actorName ?? "") : r.actorType === "user" ? "Board" : "System";
    const identifier = r.details && typeof r.details.identifier === "string" ? r.details.identifier : "";
    lines.push(
      [
        new Date(r.createdAt).toISOString(),
        r.actorType,
        r.actorId,
        actorName,
        r.action,
        r.entityType,
        r.entityId,
        identifier,
        r.agentId,
        r.runId,
        r.details,
      ]
        .map(csvField)
        .join(","),
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}
