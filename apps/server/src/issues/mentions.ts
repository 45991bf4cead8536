export interface MentionCandidate {
  id: string;
  name: string;
  urlKey: string;
}

const LINK_MENTION_RE = /\[@[^\]]*\]\(agent:\/\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\)/gi;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Agents mentioned in a comment body: `[@Name](agent://<id>)` links (by id) and plain `@Name` or
 * `@url-key` (case-insensitive, not inside a word or an e-mail address). Longer names are matched
 * first, so `@Echo Bot` is not also read as `@Echo`. Returns ids in order of first mention.
 */
export function parseMentions(body: string, agents: readonly MentionCandidate[]): string[] {
  const found: { id: string; at: number }[] = [];
  const known = new Set(agents.map((a) => a.id.toLowerCase()));
  let text = body;
  for (const match of body.matchAll(LINK_MENTION_RE)) {
    const id = match[1]!.toLowerCase();
    if (known.has(id)) found.push({ id: agents.find((a) => a.id.toLowerCase() === id)!.id, at: match.index });
  }
  // Blank out link mentions so their display names are not matched a second time.
  text = text.replace(LINK_MENTION_RE, (m) => " ".repeat(m.length));

  const names = agents
    .flatMap((a) => [
      { id: a.id, label: a.name.trim() },
      { id: a.id, label: a.urlKey },
    ])
    .filter((n) => n.label.length > 0)
    .sort((x, y) => y.label.length - x.label.length);
  for (const { id, label } of names) {
    const re = new RegExp(`(^|[^\\w@.])@${escapeRegExp(label)}(?![\\w-])`, "gi");
    let match: RegExpExecArray | null;
    while ((match = re.exec(text))) {
      const at = match.index + match[1]!.length;
      found.push({ id, at });
      text = text.slice(0, at) + " ".repeat(label.length + 1) + text.slice(at + label.length + 1);
      re.lastIndex = at + label.length + 1;
    }
  }
  const ordered = found.sort((a, b) => a.at - b.at).map((f) => f.id);
  return [...new Set(ordered)];
}
