/**
 * Renders a frozen state-set constant as SQL literal text. Only for the frozen constants of
 * `@staple/contracts` (never user input): the value must be frozen and every member a plain
 * lower-case identifier, so the rendered text cannot carry anything but those words.
 */
const WORD = /^[a-z][a-z0-9_-]*$/;

function checked(value: string): string {
  if (!WORD.test(value)) throw new Error(`sqlList: "${value}" is not a state name`);
  return `'${value}'`;
}

/** `('a', 'b')` from a frozen constant, for `status IN …`. */
export function sqlList(values: readonly string[]): string {
  if (!Object.isFrozen(values)) throw new Error("sqlList: only frozen constants may be rendered as SQL");
  if (values.length === 0) throw new Error("sqlList: an empty list matches nothing");
  return `(${values.map(checked).join(", ")})`;
}

/** `'done'`: one state name of a constant as a SQL literal. */
export function sqlLiteral(value: string): string {
  return checked(value);
}
