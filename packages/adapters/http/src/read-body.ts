/**
 * Reads at most `maxBytes` of a response body stream as UTF-8 text.
 *
 * Invariants: never buffers more than `maxBytes` plus one network chunk; when the body is longer, the stream
 * is destroyed (the rest is not downloaded) and `truncated` is true; a multi-byte character cut at the limit
 * is dropped rather than turned into a replacement character.
 */
export async function readCappedBody(
  body: AsyncIterable<Uint8Array> & { destroy(): unknown },
  maxBytes: number,
): Promise<{ text: string; truncated: boolean }> {
  const decoder = new TextDecoder("utf-8");
  let text = "";
  let bytes = 0;
  for await (const value of body) {
    const room = maxBytes - bytes;
    if (value.byteLength > room) {
      text += decoder.decode(value.subarray(0, room), { stream: true });
      body.destroy();
      return { text, truncated: true };
    }
    bytes += value.byteLength;
    text += decoder.decode(value, { stream: true });
  }
  return { text: text + decoder.decode(), truncated: false };
}
