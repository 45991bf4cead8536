import { ATTACHMENT_FILENAME_MAX } from "@staple/contracts";

// C0 and C1 control characters, DEL, and the bidirectional overrides/isolates that can make
// `invoice\u202Egpj.exe` display as `invoiceexe.jpg`.
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const KEPT_EXTENSION_MAX = 16;

/**
 * The filename an attachment is stored and served under, or null when nothing usable remains.
 * - only the last path segment is kept (no `/` or `\` ever survives);
 * - control and bidi-override characters are removed, unpaired surrogates replaced;
 * - a name of only dots (`.`, `..`) is no name;
 * - at most ATTACHMENT_FILENAME_MAX characters, shortened before the extension so it survives.
 */
export function sanitizeFilename(raw: string | undefined | null): string | null {
  if (!raw) return null;
  const segments = raw.replace(LONE_SURROGATE, "\uFFFD").normalize("NFC").split(/[\\/]/);
  let name = segments[segments.length - 1]!.replace(UNSAFE_CHARS, "").trim();
  if (name === "" || /^\.+$/.test(name)) return null;
  const chars = [...name];
  if (chars.length > ATTACHMENT_FILENAME_MAX) {
    const dot = name.lastIndexOf(".");
    const ext = dot > 0 ? [...name.slice(dot)] : [];
    const keep = ext.length > 0 && ext.length <= KEPT_EXTENSION_MAX ? ext : [];
    name =
      chars
        .slice(0, ATTACHMENT_FILENAME_MAX - keep.length)
        .join("")
        .trimEnd() + keep.join("");
  }
  return name;
}
