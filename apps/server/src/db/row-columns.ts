/**
 * Row types tied to the migrated schema. A row module lists the columns its SELECT reads
 * (`tableColumns`), builds the select list from that list, and asserts at compile time that its row
 * interface names exactly those columns, camelCased as `camelRows` returns them (`RowMatches`).
 * test/row-types.test.ts checks each list against `information_schema.columns` of the migrated
 * database, so a renamed or dropped column fails a test instead of reading `undefined`.
 */

/** `issue_prefix` -> `issuePrefix`, at the type level (database.ts `camelKey` does it at run time). */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

/** The columns a row type reads from one table. */
export interface TableColumns<C extends string = string> {
  readonly table: string;
  readonly columns: readonly C[];
}

export function tableColumns<const C extends string>(table: string, columns: readonly C[]): TableColumns<C> {
  return Object.freeze({ table, columns: Object.freeze([...columns]) });
}

/** `a, b, c` (or `x.a, x.b, x.c` with an alias) for a SELECT or RETURNING list. */
export function selectList(spec: TableColumns, alias?: string): string {
  return spec.columns.map((c) => (alias ? `${alias}.${c}` : c)).join(", ");
}

/** The column names of a `tableColumns` spec. */
export type ColumnsOf<T> = T extends TableColumns<infer C> ? C : never;

/**
 * `true` when `Row` has exactly the camelCased columns as keys; otherwise the keys that differ, so
 * `Assert<RowMatches<…>>` fails to compile and names them.
 */
export type RowMatches<Row, C extends string> = [Exclude<keyof Row, CamelCase<C>>, Exclude<CamelCase<C>, keyof Row>] extends [never, never]
  ? true
  : { keysWithoutColumn: Exclude<keyof Row, CamelCase<C>>; columnsWithoutKey: Exclude<CamelCase<C>, keyof Row> };
export type Assert<T extends true> = T;
