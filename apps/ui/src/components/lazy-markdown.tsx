import { lazy, Suspense } from "react";

const MarkdownText = lazy(async () => ({ default: (await import("./markdown.js")).MarkdownText }));

/**
 * Markdown of agents and people (components/markdown.tsx), loaded on first use so the renderer is
 * not in the board's first download; until it arrives the text shows as it is.
 */
export function Markdown({
  source,
  mentionNames,
  issuePrefix,
}: {
  source: string;
  mentionNames?: readonly string[];
  issuePrefix?: string;
}) {
  return (
    <Suspense fallback={<div className="markdown prose">{source}</div>}>
      <MarkdownText source={source} mentionNames={mentionNames} issuePrefix={issuePrefix} />
    </Suspense>
  );
}
