import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { ErrorNote, Field } from "./ui.js";

/** After signing in or up the whole board reloads: every query starts over with the new session. */
function reloadTo(path: string) {
  window.location.assign(path);
}

/** Email and password sign-in (authenticated mode). The server sets the HTTP-only session cookie. */
export function EmailSignInForm({ after = "/" }: { after?: string }) {
  const api = useApi();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const signIn = useMutation({
    mutationFn: () => unwrap(api.POST("/api/auth/sign-in/email", { body: { email, password } })),
    onSuccess: () => reloadTo(after),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate();
  };
  return (
    <form className="form" onSubmit={submit} aria-label="Sign in">
      <Field label="Email">
        {(id) => <input id={id} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />}
      </Field>
      <Field label="Password">
        {(id) => (
          <input
            id={id}
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
      </Field>
      <button type="submit" disabled={signIn.isPending || !email || !password}>
        {signIn.isPending ? "Signing in…" : "Sign in"}
      </button>
      <ErrorNote error={signIn.error} />
    </form>
  );
}

/** Creates an account: the first one with the setup code from the server log, later ones through an invite. */
export function SignUpForm({ setupCode, inviteToken, after = "/" }: { setupCode?: string; inviteToken?: string; after?: string }) {
  const api = useApi();
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const signUp = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/auth/sign-up/email", { body: { email, password, ...(name ? { name } : {}), setupCode, inviteToken } })),
    onSuccess: () => reloadTo(after),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    signUp.mutate();
  };
  return (
    <form className="form" onSubmit={submit} aria-label="Create your account">
      <Field label="Name">{(id) => <input id={id} autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />}</Field>
      <Field label="Email">
        {(id) => <input id={id} type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />}
      </Field>
      <Field label="Password" hint="At least 10 characters">
        {(id, describedBy) => (
          <input
            id={id}
            type="password"
            autoComplete="new-password"
            minLength={10}
            required
            aria-describedby={describedBy}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
      </Field>
      <button type="submit" disabled={signUp.isPending || !email || password.length < 10}>
        {signUp.isPending ? "Creating…" : "Create account"}
      </button>
      <ErrorNote error={signUp.error} />
    </form>
  );
}
