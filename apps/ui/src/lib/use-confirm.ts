import { useCallback, useReducer } from "react";
import { describeError } from "../api/client.js";
import { confirmReducer, type ConfirmState } from "./confirm.js";

/**
 * A confirmation around one async action: `ask(subject)` opens it, `confirm()` runs `action(subject)`,
 * keeping the dialog open with the error message when it fails.
 */
export function useConfirm<T>(action: (subject: T) => Promise<unknown>) {
  const [state, dispatch] = useReducer(confirmReducer<T>, { phase: "closed" } as ConfirmState<T>);
  const ask = useCallback((subject: T) => dispatch({ type: "open", subject }), []);
  const cancel = useCallback(() => dispatch({ type: "cancel" }), []);
  /** Runs the action; true when it succeeded (the dialog then closes). */
  const confirm = async (): Promise<boolean> => {
    if (state.phase !== "asking") return false;
    const subject = state.subject;
    dispatch({ type: "confirm" });
    try {
      await action(subject);
      dispatch({ type: "succeeded" });
      return true;
    } catch (error) {
      dispatch({ type: "failed", error: describeError(error) });
      return false;
    }
  };
  return {
    state,
    open: state.phase !== "closed",
    busy: state.phase === "working",
    error: state.phase === "asking" ? state.error : null,
    subject: state.phase === "closed" ? undefined : state.subject,
    ask,
    cancel,
    confirm,
  };
}
