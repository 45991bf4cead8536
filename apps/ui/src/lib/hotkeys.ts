import { useEffect, useRef } from "react";

/**
 * The board's global keys: ⌘K / Ctrl+K toggles the command palette (also while typing, as editors
 * do); `c` opens a new issue and `/` goes to search, but only when focus is not in a field, so they
 * never eat a typed letter.
 */
export interface GlobalKeyHandlers {
  palette: () => void;
  newIssue: () => void;
  search: () => void;
}

/** True when a key press belongs to what has focus (a field, an editable region, a select). */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  return target.closest("input, textarea, select, [contenteditable='true'], [role='combobox']") !== null;
}

/** Which global action a key press asks for, if any. */
export function globalKeyAction(
  e: Pick<KeyboardEvent, "key" | "metaKey" | "ctrlKey" | "altKey" | "target">,
): keyof GlobalKeyHandlers | null {
  if ((e.metaKey || e.ctrlKey) && !e.altKey && e.key.toLowerCase() === "k") return "palette";
  if (e.metaKey || e.ctrlKey || e.altKey || isTypingTarget(e.target)) return null;
  if (e.key === "c") return "newIssue";
  if (e.key === "/") return "search";
  return null;
}

export function useGlobalKeys(handlers: GlobalKeyHandlers) {
  // The latest handlers, without re-binding the listener on every render.
  const current = useRef(handlers);
  current.current = handlers;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented) return;
      // An open modal dialog (confirmations) owns the keyboard, except for the palette toggle.
      const action = globalKeyAction(e);
      if (!action) return;
      if (action !== "palette" && document.querySelector("dialog[open]")) return;
      e.preventDefault();
      current.current[action]();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}

/**
 * `j`/`k` move a highlighted row through a list and Enter opens it (the row's `open`), when focus is
 * not in a field. Returns the highlighted index (-1 for none) and a setter for mouse/focus sync.
 */
export function useListKeys(count: number, open: (index: number) => void, active: number, setActive: (i: number) => void) {
  const state = useRef({ count, open, active });
  state.current = { count, open, active };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.metaKey || e.ctrlKey || e.altKey || isTypingTarget(e.target)) return;
      if (document.querySelector("dialog[open], .palette")) return;
      const { count: n, active: at } = state.current;
      if (!n) return;
      if (e.key === "j" || e.key === "k") {
        e.preventDefault();
        const next = e.key === "j" ? Math.min(n - 1, at + 1) : Math.max(0, at < 0 ? 0 : at - 1);
        setActive(next);
      } else if (e.key === "Enter" && at >= 0 && !(e.target instanceof HTMLAnchorElement || e.target instanceof HTMLButtonElement)) {
        e.preventDefault();
        state.current.open(at);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [setActive]);
}
