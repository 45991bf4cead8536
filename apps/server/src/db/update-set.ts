/**
 * Builds the SET list of a partial update: only fields present in the body (not `undefined`) are
 * written. `params` continues after the caller's own leading parameters.
 */
export function buildSetClause(
  columns: Record<string, string | { column: string; json: true }>,
  body: Record<string, unknown>,
  params: unknown[],
): string[] {
  const sets: string[] = [];
  for (const [field, spec] of Object.entries(columns)) {
    const value = body[field];
    if (value === undefined) continue;
    if (typeof spec === "string") sets.push(`${spec} = $${params.push(value)}`);
    else sets.push(`${spec.column} = $${params.push(value === null ? null : JSON.stringify(value))}::jsonb`);
  }
  return sets;
}
