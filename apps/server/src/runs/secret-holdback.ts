import { MIN_SECRET_LENGTH } from "@staple/adapter-kit";

/**
 * Where the end of `text` could be the start of a secret (text.length when it cannot). Output
 * from there on is held back until the next chunk, so a secret split across chunks is redacted.
 * Shared by this server's executor and `staple runner` (which redacts before output leaves its machine).
 */
export function secretPrefixStart(text: string, secrets: readonly string[]): number {
  let cut = text.length;
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    for (let i = Math.max(0, text.length - secret.length + 1); i < cut; i++) {
      if (text.charCodeAt(i) === secret.charCodeAt(0) && secret.startsWith(text.slice(i))) {
        cut = i;
        break;
      }
    }
  }
  return cut;
}
