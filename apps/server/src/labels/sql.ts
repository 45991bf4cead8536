/** The label columns every label answer uses (rows are camelCased by the database port). */
export const LABEL_COLUMNS = "id, company_id, name, color, created_at, updated_at";

const utc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** One label as JSON, shaped like `Label` (timestamps formatted as the JSON list paths format them). */
const LABEL_JSON = `json_build_object('id', l.id, 'companyId', l.company_id, 'name', l.name, 'color', l.color,
  'createdAt', ${utc("l.created_at")}, 'updatedAt', ${utc("l.updated_at")})`;

/** Labels of the issue whose id is `issueIdSql`, ordered by name (as Paperclip orders them). */
const labelsOf = (issueIdSql: string, select: string, empty: string) =>
  `coalesce((SELECT ${select} FROM issue_labels il JOIN labels l ON l.id = il.label_id WHERE il.issue_id = ${issueIdSql}), ${empty})`;

export const labelIdsSql = (issueIdSql: string) => labelsOf(issueIdSql, "array_agg(l.id ORDER BY lower(l.name), l.id)", "'{}'::uuid[]");
export const labelsJsonSql = (issueIdSql: string) =>
  labelsOf(issueIdSql, `json_agg(${LABEL_JSON} ORDER BY lower(l.name), l.id)`, "'[]'::json");

/** Extra columns `withIssueLabels` adds to an issue row query (for `jsonArraySql`'s column list). */
export const ISSUE_LABEL_COLUMNS = "label_ids, labels";

/**
 * Wraps an issue row query (selecting `id`) so each row also carries `label_ids` and `labels`.
 * The label lookups run in the outer select list, that is only for the rows the inner query
 * returns after its LIMIT, and a plain subquery scan keeps the inner order.
 */
export function withIssueLabels(rowQuery: string): string {
  return `SELECT r.*, ${labelIdsSql("r.id")} AS label_ids, ${labelsJsonSql("r.id")} AS labels FROM (${rowQuery}) r`;
}
