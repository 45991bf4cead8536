import { deepArray, deepObject, raw, type Raw } from "./json-text.js";

/** Strings that have broken parsers, databases and logs before. Each carries a label for reports. */
export const NASTY_STRINGS: Record<string, string> = {
  empty: "",
  space: " ",
  nul: "a\u0000b",
  nulOnly: "\u0000",
  loneHighSurrogate: "a\ud800b",
  loneLowSurrogate: "\udc00",
  rtlOverride: "abc\u202edcba",
  zeroWidth: "a\u200b\u200c\u200d\ufeffb",
  emoji: "👩‍👩‍👧‍👦🏳️‍🌈🇺🇳",
  combining: "e\u0301\u0301\u0301\u0301",
  controlChars: "\u0001\u0007\u001b[31m\r\n\t",
  sqlQuote: "'; DROP TABLE issues; --",
  percent: "%ff%00%2f..",
  traversal: "../../../../etc/passwd",
  nan: "NaN",
  infinity: "Infinity",
  negative: "-1",
  bigNumeral: "99999999999999999999999",
  html: "<script>alert(1)</script>",
  mentionBomb: `@${"a".repeat(3000)} @@@@ ${"@x ".repeat(500)}`,
};

/** Integers at and beyond the int4, 2^53 and int8 boundaries, and non-integers where integers go. */
export const NASTY_NUMBERS: Record<string, number | Raw> = {
  zero: 0,
  negOne: -1,
  negZero: raw("-0"),
  int4Max: 2147483647,
  int4MaxPlus1: 2147483648,
  int4MinMinus1: -2147483649,
  uint4Max: 4294967295,
  safeMax: Number.MAX_SAFE_INTEGER,
  safeMaxPlus2: raw("9007199254740993"),
  int8Max: raw("9223372036854775807"),
  int8MaxPlus1: raw("9223372036854775808"),
  int8MinMinus1: raw("-9223372036854775809"),
  huge: raw("1e308"),
  overflow: raw("1e400"),
  tinyFloat: raw("5e-324"),
  half: 0.5,
  float: 1.5,
  negFloat: -2.75,
  exponentInt: raw("1e3"),
};

/** One value of each JSON type, to put where another type is declared. */
export const TYPED_VALUES: Record<"string" | "integer" | "number" | "boolean" | "null" | "array" | "object", unknown> = {
  string: "x",
  integer: 7,
  number: 7.25,
  boolean: true,
  null: null,
  array: [1, "a"],
  object: { a: 1 },
};

/** Values for free-form JSON fields (declared as "any object"): depth, size and odd keys. */
export function freeFormValues(): Record<string, unknown> {
  return {
    depth10kObject: { a: deepObject(10_000) },
    depth10kArray: { a: deepArray(10_000) },
    depth5kObject: { a: deepObject(5_000) },
    depth1kMixed: { a: raw(`${'[{"a":'.repeat(1_000)}null${"}]".repeat(1_000)}`) },
    nulValue: { k: "a\u0000b" },
    nulKey: { "a\u0000b": 1 },
    nulNested: { a: { b: ["\u0000"] } },
    loneSurrogateKey: { "\ud800": "\udfff" },
    rtlZeroWidth: { "\u202e\u200b": "\u200d" },
    emojiKey: { "🔑": "🦄" },
    protoKey: raw('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}'),
    manyKeys: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i])),
    bigArray: { a: Array.from({ length: 100_000 }, (_, i) => i) },
    bigNumbers: { a: raw("9223372036854775808"), b: raw("1e400"), c: raw("-0") },
    longString: { a: "x".repeat(1_500_000) },
  };
}

/** Bodies that are not valid JSON or not an object; `valid` is a valid body for the operation. */
export function badJsonBodies(valid: string): Record<string, string> {
  const inner = valid.length > 2 ? valid.slice(1, -1) : "";
  const firstKey = /^"((?:[^"\\]|\\.)*)"/.exec(inner)?.[1] ?? "a";
  return {
    truncated: valid.slice(0, Math.max(1, Math.floor(valid.length / 2))),
    truncatedOpen: "{",
    trailingGarbage: `${valid}garbage`,
    trailingBrace: `${valid}}`,
    twoDocuments: `${valid}${valid}`,
    bom: `\ufeff${valid}`,
    duplicateKeyWrongFirst: inner ? `{"${firstKey}":{"x":[1]},${inner}}` : `{"a":1,"a":2}`,
    duplicateKeyWrongLast: inner ? `{${inner},"${firstKey}":[true,null]}` : `{"a":1,"a":[]}`,
    singleQuotes: "{'a': 1}",
    comment: `/* c */${valid}`,
    nanLiteral: '{"a": NaN}',
    unquotedKey: "{a: 1}",
    rawControlChar: '{"a":"\u0001\u0000"}',
    escapedNul: '{"a":"\\u0000"}',
    badEscape: '{"a":"\\x41"}',
    loneSurrogateEscape: '{"a":"\\ud800"}',
    empty: "",
    whitespace: " \n\t ",
    jsonNull: "null",
    jsonArray: "[]",
    jsonString: '"x"',
    jsonNumber: "1e400",
    jsonTrue: "true",
    emptyObject: "{}",
    deepTopArray: "[".repeat(100_000) + "]".repeat(100_000),
    deepTopObject: `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`,
    protoPollution: '{"__proto__":{"isAdmin":true}}',
    overLimit: `{"a":"${"x".repeat(2 * 1024 * 1024)}"}`,
    multibyteNearLimit: `{"a":"${"日".repeat(690_000)}"}`,
  };
}

/** Bad values for a path id segment (already URL-encoded where needed). */
export function badPathIds(randomUuid: string): Record<string, string> {
  return {
    notUuid: "not-a-uuid",
    randomUuid,
    nilUuid: "00000000-0000-0000-0000-000000000000",
    upperRandom: randomUuid.toUpperCase(),
    badPercent: "%ff",
    truncatedPercent: "%e2%82",
    encodedSlashDotDot: "..%2f..%2fhealth",
    dotDot: "%2e%2e",
    encodedNul: "%00",
    uuidWithNul: `${randomUuid}%00`,
    uuidWithSpace: `%20${randomUuid}`,
    longId: "a".repeat(10_000),
    longUuidish: `${randomUuid}-${"0".repeat(4_000)}`,
    unicode: encodeURIComponent("é𝕏\u202e\u200b👩‍👩‍👧"),
    loneSurrogateBytes: "%ed%a0%80",
    int8: "9223372036854775808",
    negative: "-1",
    nullWord: "null",
    sqlQuote: encodeURIComponent("' OR '1'='1"),
  };
}

/** Bad values for query parameters (already URL-encoded). */
export const BAD_QUERY_VALUES: Record<string, string> = {
  empty: "",
  negative: "-1",
  float: "1.5",
  nan: "NaN",
  int4Over: "2147483648",
  int8Over: "9223372036854775808",
  hugeDigits: "9".repeat(400),
  exponent: "1e400",
  badPercent: "%ff",
  nul: "%00",
  long: "a".repeat(10_000),
  unicode: encodeURIComponent("é𝕏\u202e\u200b🦄"),
  loneSurrogateBytes: "%ed%a0%80",
  notUuid: "not-a-uuid",
  sqlQuote: encodeURIComponent("' OR 1=1 --"),
  dateOverflow: "99999-12-31T00:00:00Z",
  dateNegative: "-000001-01-01T00:00:00Z",
  dateNonsense: "2026-02-30T25:61:61Z",
};
