import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { useParams, useSearchParams } from "react-router";
import { describeError, unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { EmailSignInForm, SignUpForm } from "../components/email-sign-in.js";
import { ErrorNote } from "../components/ui.js";

/**
 * The pages the links of authenticated mode open: the one-time setup URL from the server log, an
 * invite link, and the approval link `staple login` prints. They work before the board loads (the
 * first two without any session).
 */
function useTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · Staple`;
  }, [title]);
}

export function SetupPage() {
  useTitle("Set up Staple");
  const [params] = useSearchParams();
  const code = params.get("code") ?? "";
  return (
    <main className="center sign-in" aria-labelledby="setup-title">
      <h1 id="setup-title">Create the owner's account</h1>
      {code ? (
        <>
          <p>This one-time link creates the first account of this server: its owner, who sees every company and invites everyone else.</p>
          <SignUpForm setupCode={code} />
        </>
      ) : (
        <p>Open the setup link the server printed in its log (it carries a one-time code).</p>
      )}
    </main>
  );
}

export function InvitePage() {
  useTitle("Invitation");
  const api = useApi();
  const token = useParams().token ?? "";
  const preview = useQuery({
    queryKey: ["invite", token],
    queryFn: () => unwrap(api.GET("/api/invites/{token}", { params: { path: { token } } })),
    retry: false,
  });
  const me = useQuery({ queryKey: ["auth", "me"], queryFn: () => unwrap(api.GET("/api/auth/me")), retry: false });
  const accept = useMutation({
    mutationFn: () => unwrap(api.POST("/api/invites/{token}/accept", { params: { path: { token } }, body: {} })),
    onSuccess: (result) => window.location.assign(result.status === "joined" ? `/c/${result.companyId}` : "/"),
  });
  if (preview.isPending || me.isPending) return <main className="center">Loading the invitation…</main>;
  if (preview.error) {
    return (
      <main className="center sign-in">
        <h1>This invitation cannot be used</h1>
        <p>{describeError(preview.error)}</p>
      </main>
    );
  }
  const invite = preview.data;
  return (
    <main className="center sign-in" aria-labelledby="invite-title">
      <h1 id="invite-title">Join {invite.companyName}</h1>
      <p>
        You are invited as <strong>{invite.role}</strong>
        {invite.requiresApproval ? "; an admin approves your request" : ""}.
      </p>
      {me.data ? (
        <>
          <button type="button" onClick={() => accept.mutate()} disabled={accept.isPending}>
            Accept as {me.data.user.email ?? me.data.user.id}
          </button>
          <ErrorNote error={accept.error} />
        </>
      ) : (
        <>
          <h2>New here? Create your account</h2>
          <SignUpForm inviteToken={token} after={`/c/${invite.companyId}`} />
          <h2>Have an account? Sign in, then open this link again</h2>
          <EmailSignInForm after={window.location.pathname} />
        </>
      )}
    </main>
  );
}

/** Approval of `staple login`: rendered inside the signed-in board (a 401 shows the sign-in form first). */
export function CliAuthPage() {
  useTitle("Approve CLI sign-in");
  const api = useApi();
  const id = useParams().id ?? "";
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const challenge = useQuery({
    queryKey: ["cli-auth", id],
    queryFn: () => unwrap(api.GET("/api/cli-auth/challenges/{id}", { params: { path: { id }, query: { token } } })),
    retry: false,
  });
  const approve = useMutation({
    mutationFn: () => unwrap(api.POST("/api/cli-auth/challenges/{id}/approve", { params: { path: { id } }, body: { token } })),
    onSuccess: () => void challenge.refetch(),
  });
  return (
    <main className="center sign-in" aria-labelledby="cli-title">
      <h1 id="cli-title">Sign in the command line</h1>
      {challenge.error ? <ErrorNote error={challenge.error} /> : null}
      {challenge.data ? (
        challenge.data.status === "pending" ? (
          <>
            <p>
              <code>{challenge.data.clientName ?? challenge.data.command}</code> asks for a board key that acts as you. Approve only if you
              just ran <code>staple login</code>.
            </p>
            <button type="button" onClick={() => approve.mutate()} disabled={approve.isPending}>
              Approve
            </button>
            <ErrorNote error={approve.error} />
          </>
        ) : (
          <p role="status">
            {challenge.data.status === "approved"
              ? "Approved: you can return to your terminal."
              : `This request is ${challenge.data.status}.`}
          </p>
        )
      ) : null}
    </main>
  );
}
