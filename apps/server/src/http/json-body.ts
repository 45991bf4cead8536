import { validationError } from "../errors.js";
import { MalformedBodyError } from "./error-funnel.js";

/**
 * Deepest nesting of objects/arrays a request body may have (the top-level object is depth 1).
 * Real payloads (adapter configs, metadata, wakeup payloads) stay far below it; anything deeper
 * would only exercise recursive code later on (JSON.stringify, zod, the database driver), which
 * overflows the stack at a few thousand levels.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Parses a request body as JSON with the rules every route shares:
 * - nesting deeper than MAX_JSON_DEPTH is a 400, found by a linear scan of the text before parsing
 *   (no recursion, so the check itself cannot overflow);
 * - text Postgres cannot store (NUL, lone UTF-16 surrogates) in any key or string value is a 400
 *   naming its path, so a free-form JSON field can never reach the database with it.
 * Returns undefined for an empty body.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") return undefined;
  assertDepth(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new MalformedBodyError((error as Error).message);
  }
  // NUL and surrogates can only come from \u escapes: strict UTF-8 decoding cannot produce a lone
  // surrogate, and a raw control character inside a JSON string is a parse error.
  if (text.includes("\\u")) assertStorableText(value);
  return value;
}

function assertDepth(text: string) {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c /* \ */) i++;
      else if (ch === 0x22 /* " */) inString = false;
    } else if (ch === 0x22) {
      inString = true;
    } else if (ch === 0x7b /* { */ || ch === 0x5b /* [ */) {
      if (++depth > MAX_JSON_DEPTH) {
        throw validationError(`Request body is nested deeper than ${MAX_JSON_DEPTH} levels`, [
          { code: "too_deep", path: [], message: `JSON nesting is limited to ${MAX_JSON_DEPTH} levels` },
        ]);
      }
    } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
      depth--;
    }
  }
}

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function assertStorableText(root: unknown) {
  // Iterative walk; depth is already bounded, the explicit stack keeps it independent of that.
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === "string") {
      if (UNSTORABLE.test(value)) throw unstorable(path, "value");
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push({ value: value[i], path: [...path, i] });
    } else if (value !== null && typeof value === "object") {
      for (const [key, child] of Object.entries(value)) {
        if (UNSTORABLE.test(key)) throw unstorable([...path, key], "key");
        stack.push({ value: child, path: [...path, key] });
      }
    }
  }
}

function unstorable(path: (string | number)[], what: "key" | "value") {
  const where = path.length ? path.join(".") : "(body)";
  const message = `The ${what} at ${where} contains a NUL character or an unpaired surrogate, which cannot be stored`;
  return validationError(`Invalid text in request body at ${where}`, [{ code: "invalid_text", path, message }]);
}
