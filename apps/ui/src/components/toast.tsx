import { useEffect, useSyncExternalStore } from "react";
import { Link } from "react-router";

/**
 * Small notices in a corner of the board. One live region (role=status, aria-live=polite) is
 * always mounted, so screen readers announce a toast when it is added; each toast disappears after
 * TOAST_MS or when dismissed. At most MAX_TOASTS show at once (the oldest goes).
 */
export interface Toast {
  id: number;
  message: string;
  tone?: "error" | "info";
  link?: { to: string; label: string };
  /** A button that does something and closes the toast (e.g. Undo). */
  action?: { label: string; run: () => void };
}

const TOAST_MS = 8000;
const MAX_TOASTS = 3;
let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();
const emit = () => {
  for (const l of listeners) l();
};

export function showToast(toast: Omit<Toast, "id">): number {
  const id = nextId++;
  toasts = [...toasts, { ...toast, id }].slice(-MAX_TOASTS);
  emit();
  return id;
}

export function dismissToast(id: number) {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
};

function ToastItem({ toast }: { toast: Toast }) {
  useEffect(() => {
    const timer = setTimeout(() => dismissToast(toast.id), TOAST_MS);
    return () => clearTimeout(timer);
  }, [toast.id]);
  return (
    <div className={`toast tone-${toast.tone ?? "info"}`}>
      <span className="toast-message">{toast.message}</span>
      {toast.link ? (
        <Link to={toast.link.to} onClick={() => dismissToast(toast.id)}>
          {toast.link.label}
        </Link>
      ) : null}
      {toast.action ? (
        <button
          type="button"
          className="link-button"
          onClick={() => {
            toast.action?.run();
            dismissToast(toast.id);
          }}
        >
          {toast.action.label}
        </button>
      ) : null}
      <button type="button" className="link-button" aria-label="Dismiss notice" onClick={() => dismissToast(toast.id)}>
        ×
      </button>
    </div>
  );
}

export function Toasts() {
  const list = useSyncExternalStore(
    subscribe,
    () => toasts,
    () => toasts,
  );
  return (
    <div className="toasts" role="status" aria-live="polite">
      {list.map((t) => (
        <ToastItem key={t.id} toast={t} />
      ))}
    </div>
  );
}
