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
 * Wraps an issue row query (selecting `id` and `columns`) so each row also carries `label_ids` and
 * `labels`, in the inner query's order. The labels of the whole page are gathered by one grouped
 * join (not a lookup per row: each per-row scan also asks the storage for the relation's size,
 * which on the embedded database is a file-system call, about a third of a 1,000-row list's time).
 */
export function withIssueLabels(rowQuery: string, columns: string): string {
  const cols = columns
    .split(",")
    .map((c) => `r.${c.trim()}`)
    .join(", ");
  return `WITH page AS MATERIALIZED (SELECT q.*, row_number() OVER () AS page_ord FROM (${rowQuery}) q),
    lb AS (SELECT il.issue_id, array_agg(l.id ORDER BY lower(l.name), l.id) AS label_ids,
                  json_agg(${LABEL_JSON} ORDER BY lower(l.name), l.id) AS labels
             FROM issue_labels il JOIN labels l ON l.id = il.label_id
            WHERE il.issue_id = ANY (ARRAY(SELECT id FROM page)) GROUP BY il.issue_id)
    SELECT ${cols}, coalesce(lb.label_ids, '{}'::uuid[]) AS label_ids, coalesce(lb.labels, '[]'::json) AS labels
      FROM page r LEFT JOIN lb ON lb.issue_id = r.id ORDER BY r.page_ord`;
}
