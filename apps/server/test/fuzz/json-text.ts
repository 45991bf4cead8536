/**
 * Request bodies are built as JSON text, not through JSON.stringify alone: some inputs cannot be
 * a JS value (numerals beyond 2^53 keep their digits, 10,000-deep nesting would overflow the
 * serializer's stack). `Raw` marks a piece of JSON text that is spliced in verbatim.
 */
export class Raw {
  constructor(readonly text: string) {}
}

export const raw = (text: string) => new Raw(text);

export function toJsonText(value: unknown): string {
  const pieces: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Raw) {
      pieces.push(v.text);
      return `\u0001raw${pieces.length - 1}\u0001`;
    }
    return v;
  });
  if (text === undefined) return "";
  return pieces.length === 0 ? text : text.replace(/"\\u0001raw(\d+)\\u0001"/g, (_m, i: string) => pieces[Number(i)]!);
}

/** `depth` nested objects `{"a":{"a":…1…}}` as text (never built as a value). */
export const deepObject = (depth: number, leaf = "1") => raw(`${'{"a":'.repeat(depth)}${leaf}${"}".repeat(depth)}`);
/** `depth` nested arrays `[[[…]]]` as text. */
export const deepArray = (depth: number) => raw(`${"[".repeat(depth)}${"]".repeat(depth)}`);
