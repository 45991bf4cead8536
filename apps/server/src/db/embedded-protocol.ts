/**
 * The wire format of a prepared statement's execution on the embedded database: the request
 * (Bind + Execute + Sync) written in one buffer, and the response read without PGlite's general
 * message parser.
 *
 * Why: PGlite's serializer and parser build an object per message and copy every field into an
 * ArrayBuffer of its own before decoding it; for a typical indexed lookup that was about half the
 * JavaScript cost of a statement (34 µs against 13.5 µs per lookup, measured in isolation; see
 * docs/performance.md). The response of a prepared statement holds a handful of message types, so
 * those are read in place here, and anything else (an error, a notification, an unexpected
 * message) is handed to PGlite's own parser so its handling stays PGlite's: `readExecuteResponse`
 * then returns `undefined`.
 *
 * Formats (PostgreSQL frontend/backend protocol 3.0): every value is sent and returned as text,
 * as PGlite's `query` does; a null is length -1.
 */

const BIND = 0x42; // 'B'
/** Execute (unnamed portal, no row limit), then Sync. */
const EXECUTE_AND_SYNC = Uint8Array.of(...[0x45, 0, 0, 0, 9, 0, 0, 0, 0, 0], ...[0x53, 0, 0, 0, 4]);

/** Bind (unnamed portal, text formats) + Execute + Sync of the named statement. */
export function bindExecuteSync(statement: string, values: readonly (string | null)[]): Uint8Array {
  const encoded = values.map((value) => (value === null ? null : Buffer.from(value, "utf8")));
  const nameBytes = Buffer.byteLength(statement, "utf8");
  // type + length + portal "\0" + name "\0" + format count + value count + values + result format count
  let bindLength = 4 + 1 + nameBytes + 1 + 2 + 2 + 2;
  for (const value of encoded) bindLength += 4 + (value ? value.length : 0);
  const out = Buffer.allocUnsafe(1 + bindLength + EXECUTE_AND_SYNC.length);
  let at = 0;
  out[at++] = BIND;
  out.writeInt32BE(bindLength, at);
  at += 4;
  out[at++] = 0; // unnamed portal
  at += out.write(statement, at, "utf8");
  out[at++] = 0;
  out.writeInt16BE(0, at); // no parameter format codes: all text
  at += 2;
  out.writeInt16BE(encoded.length, at);
  at += 2;
  for (const value of encoded) {
    if (value === null) {
      out.writeInt32BE(-1, at);
      at += 4;
    } else {
      out.writeInt32BE(value.length, at);
      at += 4;
      value.copy(out, at);
      at += value.length;
    }
  }
  out.writeInt16BE(0, at); // no result format codes: all text
  at += 2;
  out.set(EXECUTE_AND_SYNC, at);
  return out;
}

/** Message types a successful Bind + Execute + Sync answers with; anything else goes to PGlite's parser. */
const PLAIN = new Set([
  0x32, // '2' BindComplete
  0x43, // 'C' CommandComplete
  0x49, // 'I' EmptyQueryResponse
  0x4e, // 'N' NoticeResponse (PGlite only logs notices in debug mode; so do we: not at all)
  0x53, // 'S' ParameterStatus
  0x5a, // 'Z' ReadyForQuery
  0x6e, // 'n' NoData
  0x73, // 's' PortalSuspended
]);
const DATA_ROW = 0x44; // 'D'

/**
 * The data rows of a response (each a list of text fields, null for SQL NULL), or `undefined`
 * when the response holds a message this reader leaves to PGlite's parser (an error, a
 * notification) or is cut short.
 */
export function readExecuteResponse(response: Buffer): (string | null)[][] | undefined {
  const rows: (string | null)[][] = [];
  const end = response.length;
  let at = 0;
  while (at < end) {
    if (at + 5 > end) return undefined;
    const type = response[at]!;
    const next = at + 1 + response.readInt32BE(at + 1);
    if (next > end || next < at + 5) return undefined;
    if (type === DATA_ROW) {
      const count = response.readInt16BE(at + 5);
      const fields = new Array<string | null>(count);
      let field = at + 7;
      for (let i = 0; i < count; i++) {
        const length = response.readInt32BE(field);
        field += 4;
        if (length < 0) fields[i] = null;
        else {
          if (field + length > next) return undefined;
          fields[i] = response.toString("utf8", field, field + length);
          field += length;
        }
      }
      rows.push(fields);
    } else if (!PLAIN.has(type)) return undefined;
    at = next;
  }
  return rows;
}

/** Collects what PGlite writes back while a request runs (its chunks are views it reuses: copied). */
export class ResponseCollector {
  #chunks: Buffer[] = [];
  readonly onRawData = (chunk: Uint8Array): void => {
    this.#chunks.push(Buffer.from(chunk));
  };

  /** The whole response, and the collector emptied for the next request. */
  take(): Buffer {
    const chunks = this.#chunks;
    this.#chunks = [];
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  }
}
