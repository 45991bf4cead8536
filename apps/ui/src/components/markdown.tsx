import { useMemo, type AnchorHTMLAttributes } from "react";
import Markdown, { type Components } from "react-markdown";
import remarkGfm from "remark-gfm";
import { IssueRefChip, remarkIssueRefs } from "./issue-refs.js";

/**
 * Agents write markdown (plans, summaries, comments, descriptions, documents): rendered with
 * react-markdown and GFM (tables, task lists, strikethrough, autolinks). Raw HTML in the text is
 * dropped (skipHtml; no rehype-raw), react-markdown's URL filter drops javascript: and other unsafe
 * link targets, and every link carries rel="noreferrer noopener"; links to other sites open in a
 * new tab. `@Name` of a known agent is shown as a chip.
 */
export function MarkdownText({
  source,
  mentionNames = [],
  className = "markdown",
  issuePrefix,
}: {
  source: string;
  mentionNames?: readonly string[];
  className?: string;
  /** The company's issue prefix: its identifiers (ACM-12) show as chips with live status. */
  issuePrefix?: string;
}) {
  const remarkPlugins = useMemo(
    () => [remarkGfm, remarkMentions(mentionNames), ...(issuePrefix ? [remarkIssueRefs(issuePrefix)] : [])],
    [mentionNames, issuePrefix],
  );
  return (
    <div className={className}>
      <Markdown remarkPlugins={remarkPlugins} components={COMPONENTS} skipHtml>
        {source}
      </Markdown>
    </div>
  );
}

function SafeLink({ href, children, title }: AnchorHTMLAttributes<HTMLAnchorElement>) {
  const external = typeof href === "string" && /^[a-z][a-z0-9+.-]*:/i.test(href);
  return (
    <a href={href} title={title} rel="noreferrer noopener" target={external ? "_blank" : undefined}>
      {children}
    </a>
  );
}

const COMPONENTS: Components = {
  a: ({ node: _node, ...props }) => <SafeLink {...props} />,
  span: ({ node: _node, ...props }) => {
    const ref = (props as Record<string, unknown>)["data-issue-ref"];
    return typeof ref === "string" ? <IssueRefChip identifier={ref} /> : <span {...props} />;
  },
};

interface MdNode {
  type: string;
  value?: string;
  children?: MdNode[];
  data?: Record<string, unknown>;
}

/** Code, links and existing mentions keep their text as it is. */
const SKIP = new Set(["code", "inlineCode", "link", "linkReference", "definition", "html"]);

/**
 * A remark plugin marking `@Name` of the given names (longest first, case-insensitive, not inside
 * a word or an e-mail address) as `<span class="mention">` chips.
 */
export function remarkMentions(names: readonly string[]) {
  const sorted = [...new Set(names.filter((n) => n.trim()))].sort((a, b) => b.length - a.length);
  const pattern = sorted.length
    ? new RegExp(
        `(^|[^\\p{L}\\p{N}_@.])@(${sorted.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})(?![\\p{L}\\p{N}_])`,
        "giu",
      )
    : null;
  const split = (text: string): MdNode[] => {
    if (!pattern) return [{ type: "text", value: text }];
    const out: MdNode[] = [];
    let last = 0;
    for (const m of text.matchAll(pattern)) {
      const at = m.index + m[1]!.length;
      if (at > last) out.push({ type: "text", value: text.slice(last, at) });
      out.push({ type: "text", value: `@${m[2]}`, data: { hName: "span", hProperties: { className: ["mention"] } } });
      last = at + 1 + m[2]!.length;
    }
    if (last < text.length) out.push({ type: "text", value: text.slice(last) });
    return out;
  };
  const walk = (node: MdNode) => {
    if (!node.children || SKIP.has(node.type)) return;
    node.children = node.children.flatMap((child) => {
      if (child.type === "text" && !child.data && child.value?.includes("@")) return split(child.value);
      walk(child);
      return [child];
    });
  };
  return () => (tree: MdNode) => walk(tree);
}
