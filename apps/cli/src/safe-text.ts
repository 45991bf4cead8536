/**
 * Server text made safe for a terminal. Issue titles, company names, comments, error messages and
 * run logs are written by agents; a terminal interprets escape sequences in them (OSC 52 writes the
 * clipboard, `ESC[8m` hides text, others retitle the window or clear the screen). Every piece of
 * server text the CLI prints for people goes through `safeText`, which removes:
 * - string sequences (OSC, DCS, SOS, PM, APC: `ESC ] … BEL` / `ESC \`), in 7-bit and 8-bit form;
 * - control sequences (CSI: `ESC [ … final`, or the 8-bit introducer U+009B) and other escapes;
 * - every remaining C0 and C1 control character except newline and tab (CR included: it can
 *   overwrite what a line showed; CRLF becomes LF first), and DEL;
 * - bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), which reorder what is shown.
 * JSON output needs none of this: JSON.stringify escapes C0 itself, and `jsonForTerminal` escapes
 * the rest, so the JSON stays exact.
 */

// Introducer, then anything up to the string terminator (BEL, ESC \ or the 8-bit ST). An
// unterminated string is left to the rules below, which remove its introducer.
const STRING_SEQUENCE = /(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)/g;
// CSI: parameter bytes, intermediate bytes, one final byte.
const CONTROL_SEQUENCE = /(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]/g;
// Any other escape: intermediates and one final byte (charset selection, keypad modes, RIS, ...).
const OTHER_ESCAPE = /\x1b[\x20-\x2f]*[\x30-\x7e]?/g;
const CONTROL_CHARS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;

export function safeText(text: string): string {
  return text
    .replace(STRING_SEQUENCE, "")
    .replace(CONTROL_SEQUENCE, "")
    .replace(OTHER_ESCAPE, "")
    .replace(/\r\n/g, "\n")
    .replace(CONTROL_CHARS, "")
    .replace(BIDI_CONTROLS, "");
}

/** Characters JSON.stringify leaves raw that a terminal may act on: DEL, C1 controls, bidi controls. */
const RAW_IN_JSON = /[\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON text with every character a terminal could act on written as a `\uXXXX` escape. Such
 * characters can only occur inside JSON strings, where the escape means the same character: the
 * parsed value is unchanged.
 */
export function jsonForTerminal(json: string): string {
  return json.replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
