import { useEffect, useId, useRef, type ReactNode } from "react";
import { describeError } from "../api/client.js";
import { humanize, statusTone } from "../lib/status.js";

/** A status pill; `tone` overrides the colour family the shared status table gives. */
export function Badge({ status, label, tone }: { status: string; label?: string; tone?: ReturnType<typeof statusTone> }) {
  return (
    <span className={`badge tone-${tone ?? statusTone(status)}`} data-status={status}>
      {label ?? humanize(status)}
    </span>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {describeError(error)}
    </p>
  );
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="muted" role="status">
      {label}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function Section({ title, actions, children, id }: { title: string; actions?: ReactNode; children: ReactNode; id?: string }) {
  const generated = useId();
  const headingId = id ?? generated;
  return (
    <section className="card" aria-labelledby={headingId}>
      <div className="card-head">
        <h2 id={headingId}>{title}</h2>
        {actions ? <div className="card-actions">{actions}</div> : null}
      </div>
      {children}
    </section>
  );
}

/** Sets the document title and moves focus to the page heading on navigation. */
export function PageTitle({ children, title, actions }: { children: ReactNode; title: string; actions?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Staple`;
  }, [title]);
  return (
    <div className="page-head">
      <h1 ref={ref} tabIndex={-1}>
        {children}
      </h1>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </div>
  );
}

export function Field({
  label,
  hint,
  error,
  children,
  id,
}: {
  label: string;
  hint?: string;
  /** A validation message for this field (shown under it, and described by the input). */
  error?: string;
  /** Gets the input id and the ids describing it (hint and error) for aria-describedby. */
  children: (id: string, describedBy?: string) => ReactNode;
  id?: string;
}) {
  const generated = useId();
  const fieldId = id ?? generated;
  const hintId = hint ? `${fieldId}-hint` : undefined;
  const errorId = error ? `${fieldId}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(" ") || undefined;
  return (
    <div className={error ? "field invalid" : "field"}>
      <label htmlFor={fieldId}>{label}</label>
      {children(fieldId, describedBy)}
      {error ? (
        <small id={errorId} className="field-error">
          {error}
        </small>
      ) : null}
      {hint ? (
        <small id={hintId} className="hint">
          {hint}
        </small>
      ) : null}
    </div>
  );
}
