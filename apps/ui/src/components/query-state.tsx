import type { ReactNode } from "react";
import { Empty, ErrorNote, Loading } from "./ui.js";

/** What QueryState needs of a query (a TanStack Query result fits). */
export interface QueryLike<T> {
  data: T | undefined;
  error: unknown;
  refetch: () => unknown;
}

/**
 * The one busy/error/empty block of the board: a loading line until the first answer, the error
 * with "Try again" when there is no data, the error above stale data when a refetch failed, and
 * `empty` instead of the content when the data is empty (an empty list unless `isEmpty` says).
 */
export function QueryState<T>({
  query,
  children,
  empty,
  isEmpty = (data) => Array.isArray(data) && data.length === 0,
  loadingLabel,
}: {
  query: QueryLike<T>;
  children: (data: T) => ReactNode;
  empty?: ReactNode;
  isEmpty?: (data: T) => boolean;
  loadingLabel?: string;
}) {
  if (query.data === undefined) {
    if (!query.error) return <Loading label={loadingLabel} />;
    return (
      <div className="query-error">
        <ErrorNote error={query.error} />
        <button type="button" className="secondary small" onClick={() => void query.refetch()}>
          Try again
        </button>
      </div>
    );
  }
  return (
    <>
      {query.error ? <ErrorNote error={query.error} /> : null}
      {empty !== undefined && isEmpty(query.data) ? <Empty>{empty}</Empty> : children(query.data)}
    </>
  );
}
