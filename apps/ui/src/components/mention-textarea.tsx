import { useId, useLayoutEffect, useRef, useState, type KeyboardEvent } from "react";
import { insertMention, matchNames, mentionQuery, type MentionQuery } from "../lib/mentions.js";

export interface MentionCandidate {
  id: string;
  name: string;
}

/**
 * A textarea that offers agent names after `@` (combobox pattern: the list is announced through
 * aria-activedescendant; ↑/↓ move, Enter or Tab insert `@Name`, Escape closes the list).
 */
export function MentionTextarea({
  id,
  describedBy,
  value,
  onChange,
  candidates,
  rows = 3,
}: {
  id: string;
  describedBy?: string;
  value: string;
  onChange: (value: string) => void;
  candidates: readonly MentionCandidate[];
  rows?: number;
}) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const listId = useId();
  const [mention, setMention] = useState<MentionQuery | null>(null);
  const [dismissedAt, setDismissedAt] = useState<number | null>(null);
  const [active, setActive] = useState(0);
  const pendingCaret = useRef<number | null>(null);

  const options = mention && mention.start !== dismissedAt ? matchNames(candidates, mention.query) : [];
  const open = options.length > 0;
  const activeIndex = Math.min(active, Math.max(0, options.length - 1));

  useLayoutEffect(() => {
    if (pendingCaret.current !== null && ref.current) {
      ref.current.setSelectionRange(pendingCaret.current, pendingCaret.current);
      pendingCaret.current = null;
    }
  }, [value]);

  const track = (text: string, caret: number) => {
    const next = mentionQuery(text, caret);
    if (next?.start !== mention?.start || next?.query !== mention?.query) setActive(0);
    setMention(next);
  };

  const choose = (candidate: MentionCandidate) => {
    if (!mention || !ref.current) return;
    const caret = ref.current.selectionStart ?? value.length;
    const result = insertMention(value, mention, caret, candidate.name);
    pendingCaret.current = result.caret;
    setMention(null);
    onChange(result.text);
    ref.current.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (!open) return;
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setActive((activeIndex + 1) % options.length);
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive((activeIndex - 1 + options.length) % options.length);
    } else if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      choose(options[activeIndex]!);
    } else if (e.key === "Escape") {
      e.preventDefault();
      setDismissedAt(mention!.start);
    }
  };

  const optionId = (i: number) => `${listId}-opt-${i}`;
  return (
    <div className="mention-box">
      <textarea
        ref={ref}
        id={id}
        rows={rows}
        value={value}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={listId}
        aria-activedescendant={open ? optionId(activeIndex) : undefined}
        aria-describedby={describedBy}
        onChange={(e) => {
          onChange(e.target.value);
          track(e.target.value, e.target.selectionStart ?? e.target.value.length);
        }}
        onKeyDown={onKeyDown}
        onSelect={(e) => track(e.currentTarget.value, e.currentTarget.selectionStart ?? 0)}
        onBlur={() => setMention(null)}
      />
      <ul id={listId} role="listbox" aria-label="Mention an agent" className="mention-list" hidden={!open}>
        {options.map((c, i) => (
          <li
            key={c.id}
            id={optionId(i)}
            role="option"
            aria-selected={i === activeIndex}
            className={i === activeIndex ? "active" : undefined}
            onMouseDown={(e) => {
              e.preventDefault();
              choose(c);
            }}
          >
            @{c.name}
          </li>
        ))}
      </ul>
    </div>
  );
}
