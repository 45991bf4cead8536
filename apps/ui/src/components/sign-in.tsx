import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import { reportSignedOut } from "../lib/auth.js";
import { EmailSignInForm } from "./email-sign-in.js";
import { ErrorNote } from "./ui.js";

/**
 * Shown instead of the board whenever the API says this browser is not signed in (a 401). In
 * authenticated mode it is the email and password form; in local_trusted mode it explains the
 * one-time login link.
 */
export function SignInScreen() {
  useEffect(() => {
    document.title = "Sign in · Staple";
  }, []);
  const api = useApi();
  const status = useQuery({ queryKey: ["auth", "status"], queryFn: () => unwrap(api.GET("/api/auth/status")), retry: false });
  if (status.data?.deploymentMode === "authenticated") {
    return (
      <main className="center sign-in" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to the board</h1>
        {status.data.setupRequired ? (
          <p>No account exists yet: open the setup link the server printed in its log to create the owner's account.</p>
        ) : (
          <>
            <EmailSignInForm after={window.location.pathname + window.location.search} />
            <p className="muted">No account? Ask an admin of your company for an invite link.</p>
          </>
        )}
      </main>
    );
  }
  return (
    <main className="center sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in to the board</h1>
      <p>
        This board needs a sign-in link. Run <code>npx staple board</code> in the Staple folder (or use the link the server printed at
        start) and open it here.
      </p>
      <p className="muted">A link works once; it signs this browser in until you sign out.</p>
      <button type="button" onClick={() => window.location.reload()}>
        Try again
      </button>
    </main>
  );
}

/**
 * Ends this browser's session. Shown only for a cookie session: a board reached another way (a
 * server started with STAPLE_UNAUTHENTICATED_BOARD=1) has nothing to sign out of.
 */
export function SignOutButton() {
  const api = useApi();
  const session = useQuery(queries.session(api));
  const signOut = useMutation({ mutationFn: () => unwrap(api.POST("/api/board/logout", { body: {} })), onSuccess: reportSignedOut });
  if (session.data?.session.source !== "session") return null;
  return (
    <div className="sidenav-foot">
      <button type="button" className="secondary" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
        Sign out
      </button>
      <ErrorNote error={signOut.error} />
    </div>
  );
}
