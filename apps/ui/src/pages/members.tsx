import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { Schemas } from "@staple/api-client";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { QueryState } from "../components/query-state.js";
import { ErrorNote, Field, PageTitle, Section } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { formatTime, relativeTime } from "../lib/format.js";
import { useConfirm } from "../lib/use-confirm.js";

type Member = Schemas["Member"];
const ROLES = ["owner", "admin", "member", "viewer"] as const;
type Role = (typeof ROLES)[number];

const membersKey = (companyId: string) => ["company", companyId, "members"] as const;

/**
 * Members and invites of the company: who has which role, invite links (shown once), pending join
 * requests. What a role may do is the server's rule; this page only offers the actions and shows the
 * server's refusal when the signed-in person's role does not allow one.
 */
export function MembersPage() {
  const api = useApi();
  const { company } = useCompany();
  const queryClient = useQueryClient();
  const path = { params: { path: { companyId: company.id } } };
  const members = useQuery({
    queryKey: membersKey(company.id),
    queryFn: () => unwrap(api.GET("/api/companies/{companyId}/members", path)),
  });
  const invites = useQuery({
    queryKey: [...membersKey(company.id), "invites"],
    queryFn: () => unwrap(api.GET("/api/companies/{companyId}/invites", path)),
    retry: false,
  });
  const requests = useQuery({
    queryKey: [...membersKey(company.id), "join-requests"],
    queryFn: () => unwrap(api.GET("/api/companies/{companyId}/join-requests", path)),
    retry: false,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: membersKey(company.id) });
  const changeRole = useMutation({
    mutationFn: ({ member, role }: { member: Member; role: Role }) =>
      unwrap(
        api.PATCH("/api/companies/{companyId}/members/{memberId}", {
          params: { path: { companyId: company.id, memberId: member.id } },
          body: { role },
        }),
      ),
    onSettled: refresh,
  });
  const remove = useConfirm(async (member: Member) => {
    await unwrap(
      api.DELETE("/api/companies/{companyId}/members/{memberId}", { params: { path: { companyId: company.id, memberId: member.id } } }),
    );
    await refresh();
  });
  const decide = useMutation({
    mutationFn: ({ id, approve }: { id: string; approve: boolean }) =>
      unwrap(
        approve
          ? api.POST("/api/companies/{companyId}/join-requests/{requestId}/approve", {
              params: { path: { companyId: company.id, requestId: id } },
              body: {},
            })
          : api.POST("/api/companies/{companyId}/join-requests/{requestId}/reject", {
              params: { path: { companyId: company.id, requestId: id } },
              body: {},
            }),
      ),
    onSettled: refresh,
  });

  return (
    <>
      <PageTitle title="Members">Members</PageTitle>
      <p className="muted">
        Owners and admins invite people and change roles; members work on everything; viewers only read. Removing someone ends all of their
        sessions and keys at once.
      </p>
      <Section title="People">
        <QueryState
          query={members}
          loadingLabel="Loading members…"
          empty="No members yet (the instance's own board reaches every company)."
        >
          {(list) => (
            <table className="table" aria-label="Members">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Since</th>
                  <th scope="col">
                    <span className="skip">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((m) => (
                  <tr key={m.id}>
                    <td>{m.name ?? "—"}</td>
                    <td>{m.email ?? m.userId}</td>
                    <td>
                      <select
                        aria-label={`Role of ${m.email ?? m.userId}`}
                        value={m.role}
                        disabled={changeRole.isPending}
                        onChange={(e) => changeRole.mutate({ member: m, role: e.target.value as Role })}
                      >
                        {ROLES.map((r) => (
                          <option key={r} value={r}>
                            {r}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>{relativeTime(m.createdAt)}</td>
                    <td>
                      <button type="button" className="secondary" onClick={() => remove.ask(m)}>
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryState>
        <ErrorNote error={changeRole.error} />
      </Section>
      <InviteForm onCreated={refresh} />
      {invites.data ? (
        <Section title="Invites">
          {invites.data.length === 0 ? (
            <p className="muted">No invites yet.</p>
          ) : (
            <ul className="plain">
              {invites.data.map((i) => (
                <li key={i.id}>
                  {i.role} · {i.acceptedAt ? "accepted" : i.revokedAt ? "revoked" : `expires ${formatTime(i.expiresAt)}`}
                  {i.requiresApproval ? " · needs approval" : ""}
                </li>
              ))}
            </ul>
          )}
        </Section>
      ) : null}
      {requests.data?.some((r) => r.status === "pending") ? (
        <Section title="Join requests">
          <ul className="plain">
            {requests.data
              .filter((r) => r.status === "pending")
              .map((r) => (
                <li key={r.id}>
                  {r.email ?? r.userId} asks to join as {r.role}{" "}
                  <button type="button" onClick={() => decide.mutate({ id: r.id, approve: true })}>
                    Approve
                  </button>{" "}
                  <button type="button" className="secondary" onClick={() => decide.mutate({ id: r.id, approve: false })}>
                    Reject
                  </button>
                </li>
              ))}
          </ul>
          <ErrorNote error={decide.error} />
        </Section>
      ) : null}
      <ConfirmDialog
        open={remove.open}
        title="Remove this member?"
        confirmLabel="Remove"
        busyLabel="Removing…"
        danger
        busy={remove.busy}
        error={remove.error}
        onCancel={remove.cancel}
        onConfirm={() => void remove.confirm()}
      >
        <p>They lose access to this company at once; all of their sessions and board keys are revoked.</p>
      </ConfirmDialog>
    </>
  );
}

function InviteForm({ onCreated }: { onCreated: () => void }) {
  const api = useApi();
  const { company } = useCompany();
  const [role, setRole] = useState<Role>("member");
  const [requiresApproval, setRequiresApproval] = useState(false);
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/companies/{companyId}/invites", { params: { path: { companyId: company.id } }, body: { role, requiresApproval } }),
      ),
    onSuccess: onCreated,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <Section title="Invite someone">
      <form className="form inline" onSubmit={submit} aria-label="Invite someone">
        <Field label="Role">
          {(id) => (
            <select id={id} value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          )}
        </Field>
        <label className="check">
          <input type="checkbox" checked={requiresApproval} onChange={(e) => setRequiresApproval(e.target.checked)} /> An admin approves the
          join
        </label>
        <button type="submit" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create invite link"}
        </button>
      </form>
      {create.data ? (
        <p role="status">
          Invite link (shown once, single use, until {new Date(create.data.expiresAt).toLocaleString()}):{" "}
          <code>{create.data.inviteUrl}</code>
        </p>
      ) : null}
      <ErrorNote error={create.error} />
    </Section>
  );
}
