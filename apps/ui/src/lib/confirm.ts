/** State of a confirmation dialog around one asynchronous action. */
export type ConfirmState<T = unknown> =
  | { phase: "closed" }
  | { phase: "asking"; subject: T; error: string | null }
  | { phase: "working"; subject: T };

export type ConfirmAction<T = unknown> =
  | { type: "open"; subject: T }
  | { type: "cancel" }
  | { type: "confirm" }
  | { type: "failed"; error: string }
  | { type: "succeeded" };

/**
 * open → asking; confirm → working; failed → asking again with the error (the dialog stays open so
 * the message is seen); succeeded → closed. Cancel is ignored while working (the request is out).
 */
export function confirmReducer<T>(state: ConfirmState<T>, action: ConfirmAction<T>): ConfirmState<T> {
  switch (action.type) {
    case "open":
      return state.phase === "working" ? state : { phase: "asking", subject: action.subject, error: null };
    case "cancel":
      return state.phase === "working" ? state : { phase: "closed" };
    case "confirm":
      return state.phase === "asking" ? { phase: "working", subject: state.subject } : state;
    case "failed":
      return state.phase === "working" ? { phase: "asking", subject: state.subject, error: action.error } : state;
    case "succeeded":
      return state.phase === "working" ? { phase: "closed" } : state;
  }
}
