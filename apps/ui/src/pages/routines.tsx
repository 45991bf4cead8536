import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { Schemas } from "@staple/api-client";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { QueryState } from "../components/query-state.js";
import { describeTrigger, RoutineDetail } from "../components/routines/routine-detail.js";
import { RoutineForm } from "../components/routines/routine-form.js";
import { formatFireTime } from "../components/routines/schedule.js";
import { Badge, ErrorNote, PageTitle, Section } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { useConfirm } from "../lib/use-confirm.js";

type Routine = Schemas["Routine"];

/** The company's routines and, below them, each routine's fires (no live events exist for routines: the page refetches after its writes). */
const routinesKey = (companyId: string) => ["company", companyId, "routines"] as const;

/** The soonest pending fire over the routine's enabled triggers (the server clears it while paused). */
function nextFire(r: Routine): string | null {
  const times = r.triggers.filter((t) => t.enabled && t.nextRunAt).map((t) => t.nextRunAt as string);
  return times.length ? times.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b)) : null;
}

/**
 * Routines: recurring work that creates an execution issue for its agent at each fire. The list
 * opens one routine at a time below it (edit, triggers, fires); "New routine" opens the create form.
 */
export function RoutinesPage() {
  const api = useApi();
  const { company, agentName } = useCompany();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const routines = useQuery({
    queryKey: routinesKey(company.id),
    queryFn: () => unwrap(api.GET("/api/companies/{companyId}/routines", { params: { path: { companyId: company.id } } })),
  });
  // The prefix also refreshes the open routine's fires.
  const refresh = () => queryClient.invalidateQueries({ queryKey: routinesKey(company.id) });
  const act = useMutation({
    mutationFn: (fn: () => Promise<string | null>) => fn(),
    onMutate: () => setNotice(null),
    onSuccess: async (message) => {
      setNotice(message);
      await refresh();
    },
  });
  const setStatus = (r: Routine, status: "active" | "paused" | "archived") =>
    unwrap(api.PATCH("/api/routines/{routineId}", { params: { path: { routineId: r.id } }, body: { status } }));
  const runNow = (r: Routine) =>
    act.mutate(async () => {
      const fire = await unwrap(api.POST("/api/routines/{routineId}/run", { params: { path: { routineId: r.id } }, body: {} }));
      return `${r.title} fired: ${fire.status.replace(/_/g, " ")}${fire.linkedIssue?.identifier ? ` (${fire.linkedIssue.identifier})` : ""}.`;
    });
  const archive = useConfirm(async (r: Routine) => {
    await setStatus(r, "archived");
    await refresh();
  });
  const opened = routines.data?.find((r) => r.id === open);

  return (
    <>
      <PageTitle
        title="Routines"
        actions={
          <button type="button" onClick={() => setOpen(open === "new" ? null : "new")} aria-expanded={open === "new"}>
            New routine
          </button>
        }
      >
        Routines
      </PageTitle>
      <p className="muted">Each fire creates an issue assigned to the routine's agent, which wakes it like any other assignment.</p>
      {open === "new" ? (
        <Section title="New routine">
          <RoutineForm
            onSaved={async (r, warning) => {
              await refresh();
              setNotice(warning ?? null);
              setOpen(r.id);
            }}
            onCancel={() => setOpen(null)}
          />
        </Section>
      ) : null}
      <Section title="Company routines">
        <QueryState query={routines} loadingLabel="Loading routines…" empty="No routines yet.">
          {(list) => (
            <table className="table" aria-label="Routines">
              <thead>
                <tr>
                  <th scope="col">Title</th>
                  <th scope="col">Assignee</th>
                  <th scope="col">Status</th>
                  <th scope="col">Triggers</th>
                  <th scope="col">Next fire</th>
                  <th scope="col">
                    <span className="skip">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((r) => {
                  const next = nextFire(r);
                  const archived = r.status === "archived";
                  return (
                    <tr key={r.id} data-routine-id={r.id}>
                      <td>
                        <strong>{r.title}</strong>
                      </td>
                      <td>{agentName(r.assigneeAgentId)}</td>
                      <td>
                        <Badge status={r.status} />
                      </td>
                      <td>
                        {r.triggers.length ? (
                          <ul className="plain">
                            {r.triggers.map((t) => (
                              <li key={t.id} className={t.enabled ? undefined : "muted"}>
                                <code>{describeTrigger(t)}</code>
                              </li>
                            ))}
                          </ul>
                        ) : (
                          <span className="muted">None</span>
                        )}
                      </td>
                      <td>{next ? <time dateTime={next}>{formatFireTime(next)}</time> : <span className="muted">—</span>}</td>
                      <td>
                        <button
                          type="button"
                          className="secondary small"
                          onClick={() => setOpen(open === r.id ? null : r.id)}
                          aria-expanded={open === r.id}
                          aria-label={`Open ${r.title}`}
                        >
                          {archived ? "History" : "Edit"}
                        </button>{" "}
                        {archived ? null : (
                          <>
                            <button
                              type="button"
                              className="small"
                              disabled={act.isPending || r.status !== "active"}
                              onClick={() => runNow(r)}
                              aria-label={`Run ${r.title} now`}
                            >
                              Run now
                            </button>{" "}
                            <button
                              type="button"
                              className="secondary small"
                              disabled={act.isPending}
                              onClick={() =>
                                act.mutate(async () => {
                                  await setStatus(r, r.status === "paused" ? "active" : "paused");
                                  return null;
                                })
                              }
                              aria-label={`${r.status === "paused" ? "Resume" : "Pause"} ${r.title}`}
                            >
                              {r.status === "paused" ? "Resume" : "Pause"}
                            </button>{" "}
                            <button type="button" className="danger small" onClick={() => archive.ask(r)} aria-label={`Archive ${r.title}`}>
                              Archive
                            </button>
                          </>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </QueryState>
        <ErrorNote error={act.error} />
        {notice ? (
          <p role="status" className="muted">
            {notice}
          </p>
        ) : null}
      </Section>
      {opened ? <RoutineDetail key={opened.id} routine={opened} onChanged={refresh} onClose={() => setOpen(null)} /> : null}
      <ConfirmDialog
        open={archive.open}
        title="Archive the routine?"
        confirmLabel="Archive"
        busyLabel="Archiving…"
        danger
        busy={archive.busy}
        error={archive.error}
        onCancel={archive.cancel}
        onConfirm={() => void archive.confirm()}
      >
        <p>{archive.subject?.title} will stop firing for good: an archived routine cannot be resumed. Its past fires and issues stay.</p>
      </ConfirmDialog>
    </>
  );
}
