import { useEffect, useState } from "react";
import { ADAPTER_TYPES, AGENT_ROLES } from "@staple/contracts";
import { api, ApiError } from "../api/client.js";
import type { EnvironmentResult } from "../api/types.js";
import {
  ADAPTER_HINTS,
  API_KEY_ENV,
  adapterConfigErrors,
  adapterConfigIssues,
  adapterDefaults,
  buildAdapterConfig,
  CLAUDE_EFFORTS,
  CODEX_SANDBOXES,
  DEFAULT_COMMANDS,
  EMPTY_ADAPTER_VALUES,
  modelNote,
  modelOptions,
  switchAdapterType,
  valuesFromConfig,
  type AdapterValues,
} from "../lib/adapter-config.js";
import { humanize } from "../lib/status.js";
import { errorFor } from "../lib/field-errors.js";
import { ErrorNote, Field } from "./ui.js";

export interface AgentDraft extends AdapterValues {
  name: string;
  role: string;
  title: string;
  reportsTo: string;
}

export const DEFAULT_AGENT_DRAFT: AgentDraft = {
  ...EMPTY_ADAPTER_VALUES,
  name: "",
  role: "engineer",
  title: "",
  adapterType: "process",
  command: "/bin/sh",
  args: `-c "echo Working on $PAPERCLIP_TASK_ID; sleep 2; echo Finished."`,
  timeoutSec: "300",
  reportsTo: "",
};

export function draftFromConfig(adapterType: string, config: Record<string, unknown>): Partial<AgentDraft> {
  return valuesFromConfig(adapterType, config);
}

/**
 * The adapter configuration a draft describes. Throws a readable Error when the JSON is invalid, and
 * the 400 the API would answer (same message paths, `details` per field) when the adapter's schema
 * refuses the config, so nothing is sent that a save or a run would refuse.
 */
export function adapterConfigOf(draft: AgentDraft): Record<string, unknown> {
  const config = buildAdapterConfig(draft.adapterType, draft);
  const issues = adapterConfigIssues(draft.adapterType, config);
  if (issues.length) throw new ApiError(400, "The adapter configuration is not valid", "adapter_config_invalid", issues);
  return config;
}

/** The adapter schema's complaints about the draft as it stands, by field path (none for invalid custom JSON). */
function draftErrors(draft: AgentDraft): Record<string, string> {
  try {
    return adapterConfigErrors(draft.adapterType, buildAdapterConfig(draft.adapterType, draft));
  } catch {
    return {};
  }
}

/** The timeout hint: what an empty field means for this adapter (its schema's default). */
function timeoutHint(type: string): string {
  const defaults = adapterDefaults(type);
  const seconds = type === "http" ? Number(defaults.timeoutMs) / 1000 : Number(defaults.timeoutSec);
  if (!Number.isFinite(seconds)) return "Empty for the adapter's default.";
  return seconds > 0 ? `Empty for the adapter's default (${seconds} s); 0 for none.` : "Empty for no timeout.";
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
  // The server's answer wins over the live check of the same field.
  const shown = { ...draftErrors(draft), ...errors };
  const err = (...paths: string[]) => errorFor(shown, ...paths);
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
          <Field label="Agent name" error={err("name")}>
            {(id, d) => (
              <input
                id={id}
                aria-describedby={d}
                aria-invalid={!!err("name")}
                required
                value={draft.name}
                onChange={(e) => set({ name: e.target.value })}
                placeholder="e.g. Builder Bot"
              />
            )}
          </Field>
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
          <Field label="Title (optional)" error={err("title")}>
            {(id, d) => (
              <input
                id={id}
                aria-describedby={d}
                aria-invalid={!!err("title")}
                value={draft.title}
                onChange={(e) => set({ title: e.target.value })}
                placeholder="e.g. Founding engineer"
              />
            )}
          </Field>
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
        <Field label="Adapter type" hint={ADAPTER_HINTS[draft.adapterType]} error={err("adapterType")}>
          {(id, hintId) => (
            <select
              id={id}
              aria-describedby={hintId}
              aria-invalid={!!err("adapterType")}
              value={draft.adapterType}
              onChange={(e) => {
                setCheck(null);
                setCheckError(null);
                onChange(switchAdapterType(draft, e.target.value));
              }}
            >
              {ADAPTER_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          )}
        </Field>
        <AdapterConfigFields draft={draft} set={set} err={err} companyId={companyId} />
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
          <ul className="checks" aria-label="Environment findings">
            {check.checks.map((c, i) => (
              <li key={i} className={`check-${c.level}`}>
                <strong>{c.level}</strong> {c.message} <code className="muted small">{c.code}</code>
                {c.fix ? (
                  <div className="check-fix">
                    <span className="muted">Fix:</span> {c.fix}
                  </div>
                ) : null}
              </li>
            ))}
          </ul>
        ) : check && check.ok ? (
          <p className="muted small">No findings.</p>
        ) : null}
      </fieldset>
    </>
  );
}

type SetDraft = (patch: Partial<AgentDraft>) => void;
type ErrFor = (...paths: string[]) => string | undefined;

/** The fields of the chosen adapter type. */
function AdapterConfigFields({ draft, set, err, companyId }: { draft: AgentDraft; set: SetDraft; err: ErrFor; companyId: string }) {
  const type = draft.adapterType;
  const text = (
    key: keyof AgentDraft,
    label: string,
    path: string,
    opts: { hint?: string; mono?: boolean; required?: boolean; placeholder?: string; type?: string } = {},
  ) => (
    <Field label={label} hint={opts.hint} error={err(path)}>
      {(id, d) => (
        <input
          id={id}
          aria-describedby={d}
          aria-invalid={!!err(path)}
          required={opts.required}
          type={opts.type}
          placeholder={opts.placeholder}
          className={opts.mono ? "mono" : undefined}
          value={String(draft[key] ?? "")}
          onChange={(e) => set({ [key]: e.target.value } as Partial<AgentDraft>)}
        />
      )}
    </Field>
  );
  const timeout = (path = "adapterConfig.timeoutSec") => (
    <Field label="Timeout (seconds)" hint={timeoutHint(type)} error={err(path)}>
      {(id, d) => (
        <input
          id={id}
          aria-describedby={d}
          aria-invalid={!!err(path)}
          type="number"
          min={0}
          value={draft.timeoutSec}
          onChange={(e) => set({ timeoutSec: e.target.value })}
        />
      )}
    </Field>
  );
  const apiKey = () => {
    const envName = API_KEY_ENV[type]!;
    return (
      <Field
        label={`${envName} (optional)`}
        hint={
          draft.apiKeyMasked
            ? `•••• (set, fingerprint ${draft.apiKeyMasked}). Kept unless you type a new value or remove it.`
            : "Stored as a secret in the agent's environment; only sent when filled. Leave empty to use the CLI's own login."
        }
        error={err(`adapterConfig.env.${envName}`)}
      >
        {(id, d) => (
          <div className="row">
            <input
              id={id}
              aria-describedby={d}
              type="password"
              autoComplete="off"
              className="mono"
              placeholder={draft.apiKeyMasked ? "•••• (set)" : undefined}
              value={draft.apiKey}
              onChange={(e) => set({ apiKey: e.target.value })}
            />
            {draft.apiKeyMasked && !draft.apiKey ? (
              <button type="button" onClick={() => set({ apiKeyMasked: "" })}>
                Remove
              </button>
            ) : null}
          </div>
        )}
      </Field>
    );
  };

  if (type === "process") {
    return (
      <div className="grid-2">
        {text("command", "Command", "adapterConfig.command", {
          hint: "The program to start, e.g. /bin/sh or node.",
          mono: true,
          required: true,
        })}
        {text("args", "Arguments", "adapterConfig.args", {
          hint: 'Separated by spaces; quote an argument that contains spaces: -c "echo hi".',
          mono: true,
        })}
        {text("cwd", "Working directory (optional)", "adapterConfig.cwd", { mono: true })}
        {timeout()}
      </div>
    );
  }
  if (type === "http") {
    return (
      <div className="grid-2">
        {text("url", "URL", "adapterConfig.url", {
          hint: "Each heartbeat is sent here (http or https).",
          mono: true,
          required: true,
          type: "url",
          placeholder: "https://agent.example.com/heartbeat",
        })}
        {timeout("adapterConfig.timeoutMs")}
      </div>
    );
  }
  if (type === "claude_local") {
    return (
      <div className="grid-2">
        {text("command", "Command", "adapterConfig.command", { hint: 'The Claude Code CLI; default "claude".', mono: true })}
        {text("cwd", "Working directory (optional)", "adapterConfig.cwd", { mono: true })}
        <ModelField draft={draft} set={set} err={err} companyId={companyId} />
        <Field label="Effort" error={err("adapterConfig.effort")}>
          {(id, d) => (
            <select id={id} aria-describedby={d} value={draft.effort} onChange={(e) => set({ effort: e.target.value })}>
              <option value="">CLI default</option>
              {CLAUDE_EFFORTS.map((e) => (
                <option key={e} value={e}>
                  {e}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Max turns (optional)" error={err("adapterConfig.maxTurns")}>
          {(id, d) => (
            <input
              id={id}
              aria-describedby={d}
              aria-invalid={!!err("adapterConfig.maxTurns")}
              type="number"
              min={1}
              step={1}
              value={draft.maxTurns}
              onChange={(e) => set({ maxTurns: e.target.value })}
            />
          )}
        </Field>
        {text("permissionMode", "Permission mode (optional)", "adapterConfig.permissionMode", {
          hint: "Empty skips permission prompts (--dangerously-skip-permissions); e.g. acceptEdits, plan.",
          mono: true,
        })}
        {timeout()}
        {apiKey()}
      </div>
    );
  }
  if (type === "codex_local") {
    return (
      <div className="grid-2">
        {text("command", "Command", "adapterConfig.command", { hint: 'The Codex CLI; default "codex".', mono: true })}
        {text("cwd", "Working directory (optional)", "adapterConfig.cwd", { mono: true })}
        <ModelField draft={draft} set={set} err={err} companyId={companyId} />
        {text("reasoningEffort", "Reasoning effort (optional)", "adapterConfig.reasoningEffort", {
          hint: "e.g. low, medium, high.",
          mono: true,
        })}
        <Field
          label="Sandbox"
          hint="Without a sandbox Codex runs with approvals and sandbox bypassed."
          error={err("adapterConfig.sandbox")}
        >
          {(id, d) => (
            <select id={id} aria-describedby={d} value={draft.sandbox} onChange={(e) => set({ sandbox: e.target.value })}>
              <option value="">(bypass, default)</option>
              {CODEX_SANDBOXES.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          )}
        </Field>
        {timeout()}
        {apiKey()}
      </div>
    );
  }
  if (type === "gemini_local" || type === "opencode_local" || type === "cursor") {
    return (
      <div className="grid-2">
        {text("command", "Command", "adapterConfig.command", {
          hint: `The CLI to start; default "${DEFAULT_COMMANDS[type]}".`,
          mono: true,
        })}
        {text("cwd", "Working directory (optional)", "adapterConfig.cwd", { mono: true })}
        <ModelField draft={draft} set={set} err={err} companyId={companyId} />
        {timeout()}
        {API_KEY_ENV[type] ? apiKey() : null}
      </div>
    );
  }
  if (type === "acp_local") {
    return (
      <div className="grid-2">
        {text("command", "Agent command", "adapterConfig.command", {
          hint: "The agent to start in ACP mode over stdio, e.g. gemini or opencode.",
          mono: true,
          required: true,
        })}
        {text("args", "Arguments", "adapterConfig.args", {
          hint: "What starts ACP mode, e.g. --acp (Gemini CLI) or acp (OpenCode).",
          mono: true,
        })}
        {text("cwd", "Working directory (optional)", "adapterConfig.cwd", { mono: true })}
        <ModelField draft={draft} set={set} err={err} companyId={companyId} />
        {timeout()}
      </div>
    );
  }
  return (
    <Field label="Adapter configuration (JSON)" error={err("adapterConfig")}>
      {(id, d) => (
        <textarea
          id={id}
          aria-describedby={d}
          aria-invalid={!!err("adapterConfig")}
          rows={6}
          className="mono"
          value={draft.configJson}
          onChange={(e) => set({ configJson: e.target.value })}
        />
      )}
    </Field>
  );
}

/** A free-text model field with suggestions from GET .../adapters/:type/models (failures are ignored). */
function ModelField({ draft, set, err, companyId }: { draft: AgentDraft; set: SetDraft; err: ErrFor; companyId: string }) {
  const type = draft.adapterType;
  const [models, setModels] = useState<{ type: string; options: { id: string; label: string }[]; note: string } | null>(null);
  useEffect(() => {
    let live = true;
    api.agents
      .models(companyId, type)
      .then((data) => {
        if (live) setModels({ type, options: modelOptions(data), note: modelNote(data) });
      })
      .catch(() => {
        if (live) setModels({ type, options: [], note: "" });
      });
    return () => {
      live = false;
    };
  }, [companyId, type]);
  const current = models && models.type === type ? models : null;
  const listId = `models-${type}`;
  const hint = [
    current?.options.length ? `${current.options.length} suggestions; any model id works.` : "Empty for the CLI's default.",
    current?.note,
  ]
    .filter(Boolean)
    .join(" ");
  return (
    <Field label="Model (optional)" hint={hint} error={err("adapterConfig.model")}>
      {(id, d) => (
        <>
          <input
            id={id}
            aria-describedby={d}
            aria-invalid={!!err("adapterConfig.model")}
            className="mono"
            list={listId}
            autoComplete="off"
            value={draft.model}
            onChange={(e) => set({ model: e.target.value })}
          />
          <datalist id={listId}>
            {current?.options.map((m) => (
              <option key={m.id} value={m.id}>
                {m.label}
              </option>
            ))}
          </datalist>
        </>
      )}
    </Field>
  );
}
