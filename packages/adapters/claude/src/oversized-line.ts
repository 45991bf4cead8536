/**
 * Recovers the small fields of a stream-json line too long to buffer, from its first and last fragment.
 *
 * Why this works: inside a JSON string every quote is escaped, so `{"key":` or `,"key":` with bare quotes
 * only ever marks a real key, in either fragment. The big part of such a line is one long string (a text
 * block, a tool result, the final result text); the fields around it (type, session id, usage, cost…) are
 * short and sit wholly in one fragment. A long string is recovered as its beginning only.
 *
 * The output is a synthetic message of the same shape as a parsed line (`truncatedChars` marks it), so the
 * stream parser treats both alike. Returns null when the line's type cannot be told.
 */

const TYPES = ["result", "assistant", "user", "system", "rate_limit_event"] as const;

export function salvageOversizedLine(head: string, tail: string, length: number): Record<string, unknown> | null {
  const fragments = [head, tail];
  const type = TYPES.find((t) => fragments.some((f) => new RegExp(`[{,]\\s*"type"\\s*:\\s*"${t}"`).test(f)));
  if (type === undefined) return null;
  const scalar = (key: string): unknown => {
    for (const fragment of fragments) {
      const value = readKey(fragment, key);
      if (value?.complete) return value.value;
    }
    return undefined;
  };
  /** A string field, whole if it fits in a fragment, else its beginning. */
  const text = (key: string): string | undefined => {
    for (const fragment of fragments) {
      const value = readKey(fragment, key);
      if (value !== undefined && typeof value.value === "string") return value.value;
    }
    return undefined;
  };
  const base: Record<string, unknown> = { type, session_id: scalar("session_id"), truncatedChars: length };
  switch (type) {
    case "result":
      return {
        ...base,
        subtype: scalar("subtype"),
        is_error: scalar("is_error"),
        total_cost_usd: scalar("total_cost_usd"),
        num_turns: scalar("num_turns"),
        duration_ms: scalar("duration_ms"),
        stop_reason: scalar("stop_reason"),
        terminal_reason: scalar("terminal_reason"),
        api_error_status: scalar("api_error_status"),
        usage: scalar("usage"),
        errors: scalar("errors"),
        result: text("result"),
      };
    case "assistant": {
      const body = text("text");
      return { ...base, message: { content: body === undefined ? [] : [{ type: "text", text: body }] } };
    }
    case "user": {
      const toolUseId = scalar("tool_use_id");
      if (typeof toolUseId !== "string") return { ...base, message: { content: [] } };
      return {
        ...base,
        message: {
          content: [
            { type: "tool_result", tool_use_id: toolUseId, is_error: scalar("is_error"), content: text("content") ?? text("text") ?? "" },
          ],
        },
      };
    }
    default:
      return { ...base, subtype: scalar("subtype"), model: scalar("model") };
  }
}

interface ReadValue {
  value: unknown;
  /** False for a string cut off by the fragment's end (value is then its beginning). */
  complete: boolean;
}

/** The value of the first occurrence of `"key":` in `fragment`, or undefined if absent or unreadable. */
export function readKey(fragment: string, key: string): ReadValue | undefined {
  const match = new RegExp(`[{,]\\s*"${key}"\\s*:\\s*`).exec(fragment);
  if (match === null) return undefined;
  return readJsonValue(fragment, match.index + match[0].length);
}

/** Reads the JSON value starting at `start`. Objects and arrays must be complete; a string may be cut. */
export function readJsonValue(text: string, start: number): ReadValue | undefined {
  const first = text[start];
  if (first === '"') {
    const end = endOfString(text, start);
    if (end !== -1) return parse(text.slice(start, end + 1), true);
    return parse(`${safeStringPrefix(text.slice(start))}"`, false);
  }
  if (first === "{" || first === "[") {
    const end = endOfContainer(text, start);
    return end === -1 ? undefined : parse(text.slice(start, end + 1), true);
  }
  const literal = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(start, start + 64));
  return literal ? parse(literal[0], true) : undefined;
}

function parse(json: string, complete: boolean): ReadValue | undefined {
  try {
    return { value: JSON.parse(json), complete };
  } catch {
    return undefined;
  }
}

/** Index of the closing quote of the string opening at `start`, or -1. */
function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (c === '"') return i;
  }
  return -1;
}

/** Index of the bracket closing the object/array opening at `start`, or -1. */
function endOfContainer(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i = endOfString(text, i);
      if (i === -1) return -1;
    } else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** An unterminated JSON string literal (with its opening quote) cut before any incomplete escape. */
function safeStringPrefix(literal: string): string {
  const unicode = /\\u[0-9a-fA-F]{0,3}$/.exec(literal);
  let out = unicode ? literal.slice(0, unicode.index) : literal;
  const backslashes = /\\+$/.exec(out)?.[0].length ?? 0;
  if (backslashes % 2 === 1) out = out.slice(0, -1);
  // A lone high surrogate at the cut is dropped rather than left dangling.
  const last = out.charCodeAt(out.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) out = out.slice(0, -1);
  return out;
}
