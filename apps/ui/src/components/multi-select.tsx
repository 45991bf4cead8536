import { useEffect, useRef } from "react";

/**
 * A filter menu of checkboxes under a disclosure button (a native <details>, so it opens with the
 * keyboard and needs no positioning library); Escape or a click elsewhere closes it.
 */
export function MultiSelect({
  label,
  summary,
  options,
  selected,
  onToggle,
  presets = [],
}: {
  label: string;
  summary: string;
  options: readonly { value: string; label: string }[];
  selected: readonly string[];
  onToggle: (value: string) => void;
  presets?: readonly { label: string; onClick: () => void }[];
}) {
  const ref = useRef<HTMLDetailsElement>(null);
  useEffect(() => {
    const close = (e: MouseEvent | KeyboardEvent) => {
      const el = ref.current;
      if (!el?.open) return;
      if (e instanceof KeyboardEvent ? e.key === "Escape" : !el.contains(e.target as Node)) {
        el.open = false;
        if (e instanceof KeyboardEvent) el.querySelector("summary")?.focus();
      }
    };
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", close);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", close);
    };
  }, []);
  return (
    <details className="multi" ref={ref} data-filter={label.toLowerCase()}>
      <summary>
        {label}
        <span className="sr-only"> filter</span>: <strong>{summary}</strong>
      </summary>
      <fieldset className="multi-menu">
        <legend className="sr-only">{label}</legend>
        {presets.length ? (
          <div className="row" style={{ margin: "0 0 0.25rem" }}>
            {presets.map((p) => (
              <button key={p.label} type="button" className="secondary small" onClick={p.onClick}>
                {p.label}
              </button>
            ))}
          </div>
        ) : null}
        {options.map((o) => (
          <label key={o.value}>
            <input type="checkbox" checked={selected.includes(o.value)} onChange={() => onToggle(o.value)} />
            {o.label}
          </label>
        ))}
      </fieldset>
    </details>
  );
}
