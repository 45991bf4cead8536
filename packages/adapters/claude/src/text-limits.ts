/** Size limits for text kept in memory or handed to the engine, and the cutters that enforce them. */

/** A stdout line longer than this (in UTF-16 units) is not buffered whole; see oversized-line.ts. */
export const MAX_LINE_CHARS = 1024 * 1024;
/** Kept from the start and from the end of an oversized line. */
export const OVERSIZED_FRAGMENT_CHARS = 64 * 1024;
/** `message` of an assistant.text / result event. */
export const EVENT_TEXT_CHARS = 32 * 1024;
/** JSON previews of tool input and tool output inside event payloads. */
export const EVENT_PREVIEW_CHARS = 8 * 1024;
/** The run summary (kept from both ends). */
export const SUMMARY_CHARS = 32 * 1024;
/** Error texts kept for classification (each), and how many. */
export const ERROR_TEXT_CHARS = 4 * 1024;
export const MAX_ERROR_TEXTS = 20;
/** Tails of stderr / non-JSON stdout kept for classification and resultJson. */
export const DIAGNOSTIC_TAIL_CHARS = 8 * 1024;

/** `text` cut to at most `max` characters plus a marker saying how much was dropped from the end. */
export function truncateEnd(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}…[${text.length - max} more chars]`;
}

/** `text` keeping its start and its end (half of `max` each) around a marker. */
export function truncateMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.floor(max / 2);
  return `${text.slice(0, half)}\n…[${text.length - 2 * half} chars omitted]…\n${text.slice(text.length - half)}`;
}

/** The last `max` characters of `previous + next`, without building a string larger than needed. */
export function appendTail(previous: string, next: string, max: number): string {
  if (next.length >= max) return next.slice(next.length - max);
  const joined = previous + next;
  return joined.length > max ? joined.slice(joined.length - max) : joined;
}

/** A JSON rendering of `value` for an event payload: the value itself when small, else a cut string preview. */
export function previewJson(value: unknown, max: number = EVENT_PREVIEW_CHARS): unknown {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    return "[unserializable]";
  }
  if (json === undefined || json.length <= max) return value;
  return { truncated: true, preview: truncateEnd(json, max) };
}
