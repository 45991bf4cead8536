import { useId } from "react";

/** The optional (or required) reason of a rejection, when the card asks for one. */
export function RejectReason({
  label,
  placeholder,
  required,
  value,
  onChange,
}: {
  label: string;
  placeholder?: string | null;
  required: boolean;
  value: string;
  onChange: (v: string) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {required ? "" : " (optional)"}
      </label>
      <textarea id={id} rows={2} value={value} placeholder={placeholder ?? undefined} onChange={(e) => onChange(e.target.value)} />
    </div>
  );
}

/** Reject body: the reason only when one was written. */
export function reasonBody(reason: string): { reason?: string } {
  const text = reason.trim();
  return text ? { reason: text } : {};
}
