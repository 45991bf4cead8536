import { useQuery } from "@tanstack/react-query";
import { useContext } from "react";
import { Link } from "react-router";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import { CompanyContext } from "../lib/company-context.js";
import { humanize, statusTone } from "../lib/status.js";

interface MdNode {
  type: string;
  value?: string;
  children?: MdNode[];
  data?: Record<string, unknown>;
}

/** Code and links keep their text as it is. */
const SKIP = new Set(["code", "inlineCode", "link", "linkReference", "definition", "html"]);

/**
 * A remark plugin marking the company's issue identifiers (`ACM-12`, its own prefix only, not
 * inside a word) as `<span data-issue-ref>` nodes, which the markdown renderer shows as chips.
 */
export function remarkIssueRefs(prefix: string) {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(`(^|[^\\p{L}\\p{N}_-])(${escaped}-\\d+)(?![\\p{L}\\p{N}_])`, "giu");
  const split = (text: string): MdNode[] => {
    const out: MdNode[] = [];
    let last = 0;
    for (const m of text.matchAll(pattern)) {
      const at = m.index + m[1]!.length;
      if (at > last) out.push({ type: "text", value: text.slice(last, at) });
      const ref = m[2]!.toUpperCase();
      out.push({ type: "text", value: m[2]!, data: { hName: "span", hProperties: { dataIssueRef: ref } } });
      last = at + m[2]!.length;
    }
    if (last < text.length) out.push({ type: "text", value: text.slice(last) });
    return out;
  };
  const walk = (node: MdNode) => {
    if (!node.children || SKIP.has(node.type)) return;
    node.children = node.children.flatMap((child) => {
      if (child.type === "text" && !child.data && child.value) return split(child.value);
      walk(child);
      return [child];
    });
  };
  return () => (tree: MdNode) => walk(tree);
}

/** An issue identifier as a link chip with the issue's current status (refreshed by live events). */
export function IssueRefChip({ identifier }: { identifier: string }) {
  const ctx = useContext(CompanyContext);
  const issue = useQuery(queries.issuePage(useApi(), identifier));
  const status = issue.data?.status;
  const title = issue.data ? `${issue.data.title} (${humanize(issue.data.status)})` : undefined;
  const body = (
    <>
      <span className={`dot${status ? ` tone-${statusTone(status)}` : ""}`} aria-hidden="true" />
      {identifier}
      {status ? <span className="sr-only"> ({humanize(status)})</span> : null}
    </>
  );
  return ctx ? (
    <Link to={`${ctx.base}/issues/${identifier}`} className="issue-ref" title={title} data-status={status}>
      {body}
    </Link>
  ) : (
    <span className="issue-ref">{body}</span>
  );
}
