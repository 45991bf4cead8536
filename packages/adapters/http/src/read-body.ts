/**
 * Reads at most `maxBytes` of a response body as UTF-8 text.
 *
 * Invariants: never buffers more than `maxBytes` plus one network chunk; when the body is longer, the rest
 * is cancelled (not downloaded) and `truncated` is true; a multi-byte character cut at the limit is dropped
 * rather than turned into a replacement character.
 */
export async function readCappedBody(response: Response, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: "", truncated: false };
  const reader = response.body.getReader();
  const decoder = new TextDecoder("utf-8");
  let text = "";
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: text + decoder.decode(), truncated: false };
    const room = maxBytes - bytes;
    if (value.byteLength > room) {
      text += decoder.decode(value.subarray(0, room), { stream: true });
      await reader.cancel().catch(() => undefined);
      return { text, truncated: true };
    }
    bytes += value.byteLength;
    text += decoder.decode(value, { stream: true });
  }
}
