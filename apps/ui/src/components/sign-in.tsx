import { useEffect, useState } from "react";
import { api, describeError } from "../api/client.js";
import { reportSignedOut } from "../lib/auth.js";

/** Shown instead of the board whenever the API says this browser is not signed in (a 401). */
export function SignInScreen() {
  useEffect(() => {
    document.title = "Sign in · Staple";
  }, []);
  return (
    <main className="center sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in to the board</h1>
      <p>
        This board needs a sign-in link. Run <code>npx staple board</code> in the Staple folder (or use the link the server printed at start) and
        open it here.
      </p>
      <p className="muted">A link works once; it signs this browser in until you sign out.</p>
      <button onClick={() => window.location.reload()}>Try again</button>
    </main>
  );
}

/**
 * Ends this browser's session. Shown only for a cookie session: a board reached another way (a
 * server started with STAPLE_UNAUTHENTICATED_BOARD=1) has nothing to sign out of.
 */
export function SignOutButton() {
  const [source, setSource] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    api.board
      .session()
      .then((s) => live && setSource(s.session.source))
      .catch(() => {});
    return () => {
      live = false;
    };
  }, []);
  if (source !== "session") return null;
  const signOut = () => {
    setBusy(true);
    api.board
      .signOut()
      .then(reportSignedOut)
      .catch((e: unknown) => {
        setError(e);
        setBusy(false);
      });
  };
  return (
    <div className="sidenav-foot">
      <button type="button" className="secondary" onClick={signOut} disabled={busy}>
        Sign out
      </button>
      {error ? (
        <p className="error" role="alert">
          {describeError(error)}
        </p>
      ) : null}
    </div>
  );
}
