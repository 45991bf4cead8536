import { type PGlite, protocol, types } from "@electric-sql/pglite";
import { camelKey, type Row } from "./database.js";
import { bindExecuteSync, readExecuteResponse, ResponseCollector } from "./embedded-protocol.js";

/**
 * Named prepared statements for the embedded database.
 *
 * `PGlite.query` parses, analyses and plans every statement again and crosses into WebAssembly six
 * times per statement (Parse, Describe, Bind, Describe, Execute, Sync). On the one thread that also
 * serves HTTP, that is most of a statement's cost: measured (docs/performance.md) ~230 µs per
 * indexed lookup or update through `query`, ~60 µs through a named statement. So each distinct SQL
 * text is parsed once into a named statement; later calls send Bind + Execute + Sync in one
 * crossing and decode rows with the column list kept from the statement's description.
 *
 * Invariants and trade-offs:
 * - Semantics are those of `query`: the same parameter type inference (Describe of the statement)
 *   and serializers, text results decoded by the same parsers, one statement per call, errors are
 *   the server's `DatabaseError` with `code`/`constraint` (plus `query` and `params`, as PGlite adds).
 * - Plans follow Postgres's own prepared-statement rule (`plan_cache_mode = auto`): custom plans
 *   for the first five executions, then a generic plan only where its estimated cost is no worse.
 * - Postgres re-plans a cached statement itself after DDL on what it reads. The one case it refuses
 *   is a changed result row type ("cached plan must not change result type", 0A000): the statement
 *   is then dropped and, outside a transaction, prepared again and run once more; inside one, the
 *   error stands, as the transaction is already aborted. `reset()` (after a migration script)
 *   drops every statement.
 * - The cache is bounded (least recently used goes first); an evicted statement is closed in the
 *   next batch sent, and a Close that did not run is sent again later (closing twice is harmless).
 * - The caller holds PGlite's query mutex for the whole call; nothing here takes a lock.
 * - An execution's request and response are written and read here (embedded-protocol.ts); a
 *   response holding an error or a notification is read by PGlite's parser instead, and its
 *   notifications go to `onNotification` (embedded-notifications.ts).
 */
export const EMBEDDED_STATEMENT_CACHE_SIZE = 200;

const STALE_RESULT_TYPE = "0A000";
const { serialize, messages: backend } = protocol;

interface Column {
  key: string;
  type: number;
}

interface Prepared {
  name: string;
  paramTypes: number[];
  columns: Column[];
}

interface BackendMessageLike {
  name: string;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function annotate(error: unknown, sql: string, params: readonly unknown[]): unknown {
  if (error && typeof error === "object" && "code" in error) Object.assign(error, { query: sql, params });
  return error;
}

function isStaleResultType(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === STALE_RESULT_TYPE && /cached plan/i.test(String((error as Error).message));
}

export class EmbeddedStatements {
  /** Keyed by SQL text; Map order is recency (a hit is moved to the end). */
  readonly #byText = new Map<string, Prepared>();
  readonly #response = new ResponseCollector();
  #pendingCloses: Uint8Array[] = [];
  #sequence = 0;

  constructor(
    private readonly pg: PGlite,
    private readonly capacity: number = EMBEDDED_STATEMENT_CACHE_SIZE,
    /** Notifications found in a response read here (a statement that committed a NOTIFY). */
    private readonly onNotification: (channel: string, payload: string) => void = () => {},
  ) {}

  /** Runs one statement; `inTransaction` decides whether a stale plan may be retried. */
  async run<T>(sql: string, params: readonly unknown[], inTransaction: boolean): Promise<T[]> {
    try {
      return await this.#run<T>(sql, params);
    } catch (error) {
      if (!isStaleResultType(error)) throw annotate(error, sql, params);
      this.#forget(sql);
      if (inTransaction) throw annotate(error, sql, params);
      try {
        return await this.#run<T>(sql, params);
      } catch (again) {
        throw annotate(again, sql, params);
      }
    }
  }

  /** Drops every statement (after DDL run as a script). The caller holds the query mutex. */
  async reset(): Promise<void> {
    if (this.#byText.size === 0 && this.#pendingCloses.length === 0) return;
    this.#byText.clear();
    this.#pendingCloses = [];
    await this.pg.execProtocolStream(concat([serialize.query("DEALLOCATE ALL"), serialize.sync()]), { syncToFs: false });
  }

  async #run<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    const statement = this.#byText.get(sql);
    let prepared: Prepared;
    if (statement) {
      this.#byText.delete(sql);
      this.#byText.set(sql, statement);
      prepared = statement;
    } else {
      prepared = await this.#prepare(sql);
    }
    const values = this.#serialize(prepared, params);
    await this.pg.execProtocolRawStream(bindExecuteSync(prepared.name, values), {
      syncToFs: false,
      onRawData: this.#response.onRawData,
    });
    const response = this.#response.take();
    return this.#decode<T>(prepared, readExecuteResponse(response) ?? this.#readWithPgliteParser(response));
  }

  /** A response with an error or notifications: PGlite's parser reads it; its error is thrown. */
  #readWithPgliteParser(response: Buffer): (string | null)[][] {
    const rows: (string | null)[][] = [];
    let error: unknown;
    new protocol.Parser().parse(response, (message) => {
      if (message instanceof backend.DataRowMessage) rows.push(message.fields);
      else if (message instanceof backend.NotificationResponseMessage) this.onNotification(message.channel, message.payload);
      else if (message instanceof backend.DatabaseError) error ??= message;
    });
    if (error) throw error;
    return rows;
  }

  async #prepare(sql: string): Promise<Prepared> {
    const name = `staple_${++this.#sequence}`;
    const closes = this.#pendingCloses;
    this.#pendingCloses = [];
    let messages: BackendMessageLike[];
    try {
      messages = (await this.pg.execProtocolStream(
        concat([...closes, serialize.parse({ name, text: sql }), serialize.describe({ type: "S", name }), serialize.sync()]),
        { syncToFs: false },
      )) as BackendMessageLike[];
    } catch (error) {
      this.#pendingCloses.push(...closes);
      throw error;
    }
    let paramTypes: number[] = [];
    let columns: Column[] = [];
    for (const message of messages) {
      if (message.name === "parameterDescription") paramTypes = (message as unknown as { dataTypeIDs: number[] }).dataTypeIDs;
      else if (message.name === "rowDescription") {
        const fields = (message as unknown as { fields: { name: string; dataTypeID: number }[] }).fields;
        columns = fields.map((field) => ({ key: camelKey(field.name), type: field.dataTypeID }));
      }
    }
    const prepared = { name, paramTypes, columns };
    this.#byText.set(sql, prepared);
    if (this.#byText.size > this.capacity) {
      const oldest = this.#byText.keys().next().value as string;
      this.#forget(oldest);
    }
    return prepared;
  }

  #forget(sql: string): void {
    const prepared = this.#byText.get(sql);
    if (!prepared) return;
    this.#byText.delete(sql);
    this.#pendingCloses.push(serialize.close({ type: "S", name: prepared.name }));
  }

  #serialize(prepared: Prepared, params: readonly unknown[]): (string | null)[] {
    const serializers = this.pg.serializers;
    const values = new Array<string | null>(params.length);
    for (let i = 0; i < params.length; i++) {
      const param = params[i];
      if (param === null || param === undefined) {
        values[i] = null;
        continue;
      }
      const serializer = serializers[prepared.paramTypes[i]!];
      values[i] = serializer ? (serializer(param) as string) : String(param);
    }
    return values;
  }

  #decode<T>(prepared: Prepared, dataRows: (string | null)[][]): T[] {
    const { columns } = prepared;
    const parsers = this.pg.parsers;
    const rows: T[] = new Array(dataRows.length);
    for (let r = 0; r < dataRows.length; r++) {
      const fields = dataRows[r]!;
      const row: Row = {};
      for (let i = 0; i < columns.length; i++) {
        const column = columns[i]!;
        row[column.key] = types.parseType(fields[i] ?? null, column.type, parsers);
      }
      rows[r] = row as T;
    }
    return rows;
  }
}
