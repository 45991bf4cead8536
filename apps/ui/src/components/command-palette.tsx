import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { useNavigate } from "react-router";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import { useCompany } from "../lib/company-context.js";
import { paletteItems } from "../lib/palette.js";
import { humanize } from "../lib/status.js";

/** Issues the palette searches: the company's newest 1000 of any status (the server's page limit). */
const PALETTE_ISSUES = { limit: 1000 } as const;

/**
 * ⌘K / Ctrl+K: a modal search box over pages, agents and issues (lib/palette.ts ranks them).
 * Arrow keys or Ctrl+N/P move, Enter opens, Escape or a click outside closes; focus returns to
 * what had it.
 */
export function CommandPalette({ nav, onClose }: { nav: readonly { path: string; label: string }[]; onClose: () => void }) {
  const { company, agents, base } = useCompany();
  const api = useApi();
  const navigate = useNavigate();
  const issues = useQuery(queries.issues(api, company.id, PALETTE_ISSUES));
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const listId = useId();
  const input = useRef<HTMLInputElement>(null);
  const items = useMemo(
    () => paletteItems({ base, pages: nav, agents, issues: issues.data ?? [] }, query),
    [base, nav, agents, issues.data, query],
  );

  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    input.current?.focus();
    return () => before?.focus?.();
  }, []);

  const go = (index: number) => {
    const item = items[index];
    if (!item) return;
    onClose();
    navigate(item.to);
  };
  const onKey = (e: KeyboardEvent) => {
    const down = e.key === "ArrowDown" || (e.ctrlKey && e.key === "n");
    const up = e.key === "ArrowUp" || (e.ctrlKey && e.key === "p");
    if (down || up) {
      e.preventDefault();
      setActive((a) => (items.length ? (a + (down ? 1 : items.length - 1)) % items.length : 0));
    } else if (e.key === "Enter") {
      e.preventDefault();
      go(active);
    } else if (e.key === "Escape") {
      e.preventDefault();
      onClose();
    }
  };

  return (
    <div className="palette-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="palette" role="dialog" aria-modal="true" aria-label="Command palette">
        <input
          ref={input}
          role="combobox"
          aria-expanded="true"
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={items[active] ? `${listId}-${active}` : undefined}
          aria-label="Go to an issue, agent or page"
          placeholder="Go to an issue (ACM-12 or words of its title), an agent or a page…"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={onKey}
        />
        <ul id={listId} role="listbox" aria-label="Results" className="palette-list">
          {items.map((item, index) => (
            // biome-ignore lint/a11y/useKeyWithClickEvents: the combobox owns the keyboard (aria-activedescendant)
            <li
              key={item.id}
              id={`${listId}-${index}`}
              role="option"
              aria-selected={index === active}
              className={index === active ? "active" : undefined}
              onMouseEnter={() => setActive(index)}
              onClick={() => go(index)}
            >
              <span className="palette-kind">{item.kind === "issue" ? "Issue" : humanize(item.kind)}</span>
              <span className="palette-label">{item.label}</span>
              {item.hint ? <span className="palette-hint">{item.kind === "issue" ? humanize(item.hint) : item.hint}</span> : null}
            </li>
          ))}
          {!items.length ? <li className="palette-empty">{issues.isPending ? "Loading issues…" : "Nothing matches."}</li> : null}
        </ul>
      </div>
    </div>
  );
}
