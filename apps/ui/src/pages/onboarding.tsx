import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import type { Agent, Company } from "../api/types.js";
import { adapterConfigOf, AgentFields, DEFAULT_AGENT_DRAFT, type AgentDraft } from "../components/adapter-form.js";
import { ErrorNote, Field } from "../components/ui.js";
import { TemplatePicker } from "../components/template-picker.js";
import { queryKeys } from "../lib/query-keys.js";

const STEPS = ["Company", "First agent", "First issue"] as const;

/**
 * First run: a company (name, goal), its first agent (any adapter type), and a
 * first issue assigned to that agent. Each step saves as it goes; the last one opens the issue.
 */
export function OnboardingPage({ firstRun }: { firstRun: boolean }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [step, setStep] = useState(0);
  const [company, setCompany] = useState<Company | null>(null);
  const [agent, setAgent] = useState<Agent | null>(null);
  const [name, setName] = useState("");
  const [goal, setGoal] = useState("");
  const [budget, setBudget] = useState("");
  const [draft, setDraft] = useState<AgentDraft>({ ...DEFAULT_AGENT_DRAFT, name: "Builder Bot" });
  const [title, setTitle] = useState("Say hello to the board");
  const [description, setDescription] = useState("Introduce yourself in a comment, then mark this issue done.");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    document.title = "Get started · Staple";
    document.getElementById("onboarding-heading")?.focus();
  }, [step]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (step === 0) {
        const body = {
          name: name.trim(),
          description: goal.trim() || null,
          ...(budget.trim() ? { budgetMonthlyCents: Math.round(Number(budget) * 100) } : {}),
        };
        const created = await unwrap(
          company
            ? api.PATCH("/api/companies/{companyId}", { params: { path: { companyId: company.id } }, body })
            : api.POST("/api/companies", { body }),
        );
        setCompany(created);
        await queryClient.invalidateQueries({ queryKey: queryKeys.companies() });
        setStep(1);
      } else if (step === 1 && company) {
        const body = {
          name: draft.name.trim(),
          role: draft.role as Agent["role"],
          title: draft.title.trim() || null,
          adapterType: draft.adapterType as Agent["adapterType"],
          adapterConfig: adapterConfigOf(draft),
        };
        const saved = await unwrap(
          agent
            ? api.PATCH("/api/agents/{id}", { params: { path: { id: agent.id } }, body })
            : api.POST("/api/companies/{companyId}/agents", { params: { path: { companyId: company.id } }, body }),
        );
        setAgent(saved);
        setStep(2);
      } else if (step === 2 && company && agent) {
        const issue = await unwrap(
          api.POST("/api/companies/{companyId}/issues", {
            params: { path: { companyId: company.id } },
            body: { title: title.trim(), description: description.trim() || null, assigneeAgentId: agent.id },
          }),
        );
        navigate(`/c/${company.id}/issues/${issue.identifier}`);
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="onboarding" id="main">
      <div className="onboarding-card">
        <p className="brand-line">
          <span className="logo" aria-hidden="true">
            S
          </span>{" "}
          Staple
        </p>
        <h1 id="onboarding-heading" tabIndex={-1}>
          {firstRun && step === 0 ? "Welcome! Let's set up your first company" : STEPS[step]}
        </h1>
        <ol className="steps" aria-label="Setup steps">
          {STEPS.map((s, i) => (
            <li key={s} className={i === step ? "current" : i < step ? "done" : ""} aria-current={i === step ? "step" : undefined}>
              <span className="step-num">{i < step ? "✓" : i + 1}</span> {s}
            </li>
          ))}
        </ol>
        <form onSubmit={submit} aria-describedby="onboarding-intro">
          {step === 0 ? (
            <>
              <p id="onboarding-intro" className="muted">
                A company is a team of AI agents working toward a goal. You supervise it as the board.
              </p>
              <Field label="Company name">
                {(id) => (
                  <input
                    id={id}
                    required
                    autoFocus
                    value={name}
                    onChange={(e) => setName(e.target.value)}
                    placeholder="e.g. Acme Robotics"
                  />
                )}
              </Field>
              <Field label="Goal" hint="What the company is for. Agents see it.">
                {(id, hint) => (
                  <textarea
                    id={id}
                    aria-describedby={hint}
                    rows={3}
                    value={goal}
                    onChange={(e) => setGoal(e.target.value)}
                    placeholder="e.g. Build the best robot vacuum"
                  />
                )}
              </Field>
              <Field label="Monthly budget in USD (optional)" hint="Leave empty for no budget.">
                {(id, hint) => (
                  <input
                    id={id}
                    aria-describedby={hint}
                    type="number"
                    min={0}
                    step="0.01"
                    value={budget}
                    onChange={(e) => setBudget(e.target.value)}
                  />
                )}
              </Field>
            </>
          ) : step === 1 && company ? (
            <>
              <p id="onboarding-intro" className="muted">
                Hire an agent for <strong>{company.name}</strong>. Staple starts it on every heartbeat: a <code>process</code> agent is any
                program, <code>claude_local</code> and <code>codex_local</code> run the Claude Code or Codex CLI, <code>http</code> calls a
                URL. Runs get <code>PAPERCLIP_API_URL</code>, <code>PAPERCLIP_TASK_ID</code> and a run token.
              </p>
              <AgentFields draft={draft} onChange={setDraft} companyId={company.id} />
            </>
          ) : (
            <>
              <p id="onboarding-intro" className="muted">
                Give <strong>{agent?.name}</strong> something to do. Assigning the issue wakes the agent at once; you will watch its run on
                the next page.
              </p>
              <Field label="Issue title">
                {(id) => <input id={id} required value={title} onChange={(e) => setTitle(e.target.value)} />}
              </Field>
              <Field label="Description">
                {(id) => <textarea id={id} rows={4} value={description} onChange={(e) => setDescription(e.target.value)} />}
              </Field>
            </>
          )}
          <ErrorNote error={error} />
          <div className="row end">
            {step > 0 ? (
              <button type="button" className="secondary" onClick={() => setStep(step - 1)} disabled={busy}>
                Back
              </button>
            ) : !firstRun ? (
              <Link to="/" className="button secondary">
                Cancel
              </Link>
            ) : null}
            <button type="submit" disabled={busy}>
              {busy ? "Saving…" : step === 0 ? "Create company" : step === 1 ? "Hire agent" : "Create issue and start"}
            </button>
          </div>
        </form>
        {step === 0 && !company ? <TemplatePicker name={name} /> : null}
      </div>
    </main>
  );
}
