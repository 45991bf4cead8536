import { useState } from "react";
import { ADAPTER_TYPES, AGENT_ROLES } from "@staple/contracts";
import { api } from "../api/client.js";
import type { EnvironmentResult } from "../api/types.js";
import { joinArgs, splitArgs } from "../lib/format.js";
import { humanize } from "../lib/status.js";
import { errorFor } from "../lib/field-errors.js";
import { ErrorNote, Field } from "./ui.js";

export interface AgentDraft {
  name: string;
  role: string;
  title: string;
  adapterType: string;
  command: string;
  args: string;
  cwd: string;
  timeoutSec: string;
  /** For adapters other than `process`: the adapter configuration as JSON. */
  configJson: string;
  reportsTo: string;
}

export const DEFAULT_AGENT_DRAFT: AgentDraft = {
  name: "",
  role: "engineer",
  title: "",
  adapterType: "process",
  command: "/bin/sh",
  args: `-c "echo Working on $PAPERCLIP_TASK_ID; sleep 2; echo Finished."`,
  cwd: "",
  timeoutSec: "300",
  configJson: "{}",
  reportsTo: "",
};

export function draftFromConfig(adapterType: string, config: Record<string, unknown>): Partial<AgentDraft> {
  if (adapterType === "process") {
    return {
      adapterType,
      command: typeof config.command === "string" ? config.command : "",
      args: Array.isArray(config.args) ? joinArgs(config.args.map(String)) : "",
      cwd: typeof config.cwd === "string" ? config.cwd : "",
      timeoutSec: typeof config.timeoutSec === "number" ? String(config.timeoutSec) : "",
    };
  }
  return { adapterType, configJson: JSON.stringify(config, null, 2) };
}

/** The adapter configuration a draft describes; throws a readable Error when the JSON is invalid. */
export function adapterConfigOf(draft: AgentDraft): Record<string, unknown> {
  if (draft.adapterType === "process") {
    const config: Record<string, unknown> = { command: draft.command.trim() };
    const args = splitArgs(draft.args);
    if (args.length) config.args = args;
    if (draft.cwd.trim()) config.cwd = draft.cwd.trim();
    if (draft.timeoutSec.trim()) config.timeoutSec = Number(draft.timeoutSec);
    return config;
  }
  try {
    const parsed = JSON.parse(draft.configJson || "{}") as unknown;
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("must be a JSON object");
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new Error(`Adapter configuration: ${(error as Error).message}`);
  }
}

/** Name, role and adapter of an agent, with an environment check for the adapter. */
export function AgentFields({
  draft,
  onChange,
  companyId,
  managers,
  showIdentity = true,
  errors = {},
}: {
  draft: AgentDraft;
  onChange: (draft: AgentDraft) => void;
  companyId: string;
  managers?: { id: string; name: string }[];
  showIdentity?: boolean;
  /** Validation messages by field path (see fieldErrors), shown under the matching fields. */
  errors?: Record<string, string>;
}) {
  const err = (...paths: string[]) => errorFor(errors, ...paths);
  const set = (patch: Partial<AgentDraft>) => onChange({ ...draft, ...patch });
  const [check, setCheck] = useState<EnvironmentResult | null>(null);
  const [checkError, setCheckError] = useState<unknown>(null);
  const [checking, setChecking] = useState(false);

  const runCheck = async () => {
    setChecking(true);
    setCheck(null);
    setCheckError(null);
    try {
      setCheck(await api.agents.testEnvironment(companyId, draft.adapterType, adapterConfigOf(draft)));
    } catch (error) {
      setCheckError(error);
    } finally {
      setChecking(false);
    }
  };

  return (
    <>
      {showIdentity ? (
        <div className="grid-2">
          <Field label="Agent name" error={err("name")}>{(id, d) => <input id={id} aria-describedby={d} aria-invalid={!!err("name")} required value={draft.name} onChange={(e) => set({ name: e.target.value })} placeholder="e.g. Builder Bot" />}</Field>
          <Field label="Role">
            {(id) => (
              <select id={id} value={draft.role} onChange={(e) => set({ role: e.target.value })}>
                {AGENT_ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r.length <= 3 ? r.toUpperCase() : humanize(r)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Title (optional)" error={err("title")}>{(id, d) => <input id={id} aria-describedby={d} aria-invalid={!!err("title")} value={draft.title} onChange={(e) => set({ title: e.target.value })} placeholder="e.g. Founding engineer" />}</Field>
          {managers && managers.length ? (
            <Field label="Reports to">
              {(id) => (
                <select id={id} value={draft.reportsTo} onChange={(e) => set({ reportsTo: e.target.value })}>
                  <option value="">Nobody (top of the org chart)</option>
                  {managers.map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          ) : null}
        </div>
      ) : null}
      <fieldset className="adapter">
        <legend>How the agent runs</legend>
        <Field label="Adapter type" hint="process runs a local command on this machine for every heartbeat." error={err("adapterType")}>
          {(id, hintId) => (
            <select id={id} aria-describedby={hintId} aria-invalid={!!err("adapterType")} value={draft.adapterType} onChange={(e) => set({ adapterType: e.target.value })}>
              {ADAPTER_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          )}
        </Field>
        {draft.adapterType === "process" ? (
          <div className="grid-2">
            <Field label="Command" hint="The program to start, e.g. /bin/sh or node." error={err("adapterConfig.command")}>
              {(id, hintId) => <input id={id} required aria-describedby={hintId} aria-invalid={!!err("adapterConfig.command")} value={draft.command} onChange={(e) => set({ command: e.target.value })} className="mono" />}
            </Field>
            <Field label="Arguments" hint='Separated by spaces; quote an argument that contains spaces: -c "echo hi".' error={err("adapterConfig.args")}>
              {(id, hintId) => <input id={id} aria-describedby={hintId} aria-invalid={!!err("adapterConfig.args")} value={draft.args} onChange={(e) => set({ args: e.target.value })} className="mono" />}
            </Field>
            <Field label="Working directory (optional)" error={err("adapterConfig.cwd")}>{(id, d) => <input id={id} aria-describedby={d} aria-invalid={!!err("adapterConfig.cwd")} value={draft.cwd} onChange={(e) => set({ cwd: e.target.value })} className="mono" />}</Field>
            <Field label="Timeout (seconds)" error={err("adapterConfig.timeoutSec")}>
              {(id, d) => <input id={id} aria-describedby={d} aria-invalid={!!err("adapterConfig.timeoutSec")} type="number" value={draft.timeoutSec} onChange={(e) => set({ timeoutSec: e.target.value })} />}
            </Field>
          </div>
        ) : (
          <Field label="Adapter configuration (JSON)" error={err("adapterConfig")}>
            {(id, d) => <textarea id={id} aria-describedby={d} aria-invalid={!!err("adapterConfig")} rows={6} className="mono" value={draft.configJson} onChange={(e) => set({ configJson: e.target.value })} />}
          </Field>
        )}
        <div className="row">
          <button type="button" className="secondary" onClick={runCheck} disabled={checking}>
            {checking ? "Checking…" : "Check environment"}
          </button>
          {check ? (
            <span className={check.ok ? "ok-text" : "error-text"} role="status">
              {check.ok ? "Environment looks good" : "Environment has problems"}
            </span>
          ) : null}
        </div>
        <ErrorNote error={checkError} />
        {check && check.checks.length ? (
          <ul className="checks">
            {check.checks.map((c, i) => (
              <li key={i} className={`check-${c.level}`}>
                <strong>{c.level}</strong> {c.message}
                {c.fix ? <span className="muted"> — {c.fix}</span> : null}
              </li>
            ))}
          </ul>
        ) : null}
      </fieldset>
    </>
  );
}
