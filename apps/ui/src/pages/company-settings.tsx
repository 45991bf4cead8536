import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { describeError, unwrap, type StapleClient } from "../api/client.js";
import { useApi } from "../api/context.js";
import type { Company } from "../api/types.js";
import { QueryState } from "../components/query-state.js";
import { Field, PageTitle, Section } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { errorFor, fieldErrors } from "../lib/field-errors.js";
import { queryKeys } from "../lib/query-keys.js";

type WakeBreakers = Awaited<ReturnType<typeof fetchWakeBreakers>>;
type CompanyPatch = Partial<
  Pick<Company, "name" | "description" | "brandColor" | "budgetMonthlyCents" | "requireBoardApprovalForNewAgents">
>;

const wakeBreakersKey = (companyId: string) => [...queryKeys.company(companyId), "wake-breakers"] as const;
const fetchWakeBreakers = (api: StapleClient, companyId: string) =>
  unwrap(api.GET("/api/companies/{companyId}/wake-breakers", { params: { path: { companyId } } }));

/** Company settings: the company's own fields and its wake breakers, each a form saved on its own. */
export function CompanySettingsPage() {
  const { company } = useCompany();
  const api = useApi();
  const breakers = useQuery({ queryKey: wakeBreakersKey(company.id), queryFn: () => fetchWakeBreakers(api, company.id) });
  return (
    <>
      <PageTitle title="Settings">Settings</PageTitle>
      <Section title="Company">
        <CompanyForm key={company.id} company={company} />
      </Section>
      <Section title="Wake breakers">
        <p className="muted">
          The loop breaker stops waking an agent for an issue after too many wakes without progress; the quota breaker holds wakes while a
          provider's quota is exhausted.
        </p>
        <QueryState query={breakers} loadingLabel="Loading wake breakers…">
          {(settings) => <WakeBreakerForm key={company.id} companyId={company.id} settings={settings} />}
        </QueryState>
      </Section>
    </>
  );
}

interface CompanyDraft {
  name: string;
  description: string;
  brandColor: string;
  budgetUsd: string;
  requireBoardApprovalForNewAgents: boolean;
}

const toDraft = (c: Company): CompanyDraft => ({
  name: c.name,
  description: c.description ?? "",
  brandColor: c.brandColor ?? "",
  budgetUsd: c.budgetMonthlyCents ? String(c.budgetMonthlyCents / 100) : "",
  requireBoardApprovalForNewAgents: c.requireBoardApprovalForNewAgents,
});

/** Empty means no budget (0); anything else must be a non-negative amount in USD (cents are rounded). */
function budgetCents(usd: string): number | null {
  const text = usd.trim();
  if (text === "") return 0;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? Math.round(value * 100) : null;
}

/** Only the fields whose value differs from the company's, so a save never overwrites fields it did not touch. */
function companyChanges(company: Company, draft: CompanyDraft, cents: number): CompanyPatch {
  const patch: CompanyPatch = {};
  const name = draft.name.trim();
  const description = draft.description.trim() || null;
  const brandColor = draft.brandColor.trim() || null;
  if (name !== company.name) patch.name = name;
  if (description !== company.description) patch.description = description;
  if (brandColor !== company.brandColor) patch.brandColor = brandColor;
  if (cents !== company.budgetMonthlyCents) patch.budgetMonthlyCents = cents;
  if (draft.requireBoardApprovalForNewAgents !== company.requireBoardApprovalForNewAgents) {
    patch.requireBoardApprovalForNewAgents = draft.requireBoardApprovalForNewAgents;
  }
  return patch;
}

function CompanyForm({ company }: { company: Company }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState(() => toDraft(company));
  const [saved, setSaved] = useState(false);
  const cents = budgetCents(draft.budgetUsd);
  const changes = cents === null ? null : companyChanges(company, draft, cents);
  const save = useMutation({
    mutationFn: (body: CompanyPatch) =>
      unwrap(api.PATCH("/api/companies/{companyId}", { params: { path: { companyId: company.id } }, body })),
    onSuccess: async (updated) => {
      setDraft(toDraft(updated));
      setSaved(true);
      // The shell (switcher, header) reads the company from the companies list.
      await queryClient.invalidateQueries({ queryKey: queryKeys.companies() });
    },
  });
  const errors = fieldErrors(save.error);
  const edit = (fields: Partial<CompanyDraft>) => {
    setDraft((d) => ({ ...d, ...fields }));
    setSaved(false);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (changes && Object.keys(changes).length) save.mutate(changes);
  };
  const budgetError = cents === null ? "Enter an amount in USD, like 250 or 99.50." : errorFor(errors, "budgetMonthlyCents");
  const colorValid = /^#[0-9a-fA-F]{6}$/.test(draft.brandColor.trim());
  return (
    <form onSubmit={submit} aria-label="Company settings" noValidate>
      <Field label="Name" error={errorFor(errors, "name")}>
        {(id, d) => (
          <input
            id={id}
            aria-describedby={d}
            aria-invalid={!!errorFor(errors, "name")}
            value={draft.name}
            maxLength={200}
            onChange={(e) => edit({ name: e.target.value })}
          />
        )}
      </Field>
      <Field label="Description" error={errorFor(errors, "description")}>
        {(id, d) => (
          <textarea
            id={id}
            aria-describedby={d}
            rows={3}
            value={draft.description}
            onChange={(e) => edit({ description: e.target.value })}
          />
        )}
      </Field>
      <Field label="Brand colour" hint="A colour like #1a2b3c; empty for none." error={errorFor(errors, "brandColor")}>
        {(id, d) => (
          <div className="row">
            <input
              id={id}
              aria-describedby={d}
              aria-invalid={!!errorFor(errors, "brandColor")}
              value={draft.brandColor}
              placeholder="#1a2b3c"
              onChange={(e) => edit({ brandColor: e.target.value })}
              style={{ flex: "1 1 8rem", minWidth: 0 }}
            />
            <input
              type="color"
              aria-label="Pick brand colour"
              value={colorValid ? draft.brandColor.trim() : "#000000"}
              onChange={(e) => edit({ brandColor: e.target.value })}
              style={{ width: "3rem", flex: "none" }}
            />
          </div>
        )}
      </Field>
      <Field label="Monthly budget in USD" hint="Empty or 0 for no company budget." error={budgetError}>
        {(id, d) => (
          <input
            id={id}
            aria-describedby={d}
            aria-invalid={!!budgetError}
            inputMode="decimal"
            value={draft.budgetUsd}
            onChange={(e) => edit({ budgetUsd: e.target.value })}
          />
        )}
      </Field>
      <label className="check-option">
        <input
          type="checkbox"
          checked={draft.requireBoardApprovalForNewAgents}
          onChange={(e) => edit({ requireBoardApprovalForNewAgents: e.target.checked })}
        />
        <span>Require board approval for new agents</span>
      </label>
      <SaveRow busy={save.isPending} disabled={!changes || !Object.keys(changes).length} error={save.error} saved={saved} />
    </form>
  );
}

interface BreakerDraft {
  loopEnabled: boolean;
  maxWakes: string;
  windowMinutes: string;
  quotaEnabled: boolean;
}

const toBreakerDraft = (s: WakeBreakers): BreakerDraft => ({
  loopEnabled: s.loopBreaker.enabled,
  maxWakes: String(s.loopBreaker.maxWakes),
  windowMinutes: String(s.loopBreaker.windowMinutes),
  quotaEnabled: s.quotaBreaker.enabled,
});

/** A whole number or null; ranges are the server's to check (its 400 names the field). */
function wholeNumber(text: string): number | null {
  const value = Number(text.trim());
  return text.trim() !== "" && Number.isInteger(value) ? value : null;
}

function WakeBreakerForm({ companyId, settings }: { companyId: string; settings: WakeBreakers }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState(() => toBreakerDraft(settings));
  const [saved, setSaved] = useState(false);
  const maxWakes = wholeNumber(draft.maxWakes);
  const windowMinutes = wholeNumber(draft.windowMinutes);
  const save = useMutation({
    mutationFn: (body: {
      loopBreaker: { enabled: boolean; maxWakes: number; windowMinutes: number };
      quotaBreaker: { enabled: boolean };
    }) => unwrap(api.PATCH("/api/companies/{companyId}/wake-breakers", { params: { path: { companyId } }, body })),
    onSuccess: (next) => {
      queryClient.setQueryData(wakeBreakersKey(companyId), next);
      setDraft(toBreakerDraft(next));
      setSaved(true);
    },
  });
  const errors = fieldErrors(save.error);
  const edit = (fields: Partial<BreakerDraft>) => {
    setDraft((d) => ({ ...d, ...fields }));
    setSaved(false);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (maxWakes === null || windowMinutes === null) return;
    save.mutate({
      loopBreaker: { enabled: draft.loopEnabled, maxWakes, windowMinutes },
      quotaBreaker: { enabled: draft.quotaEnabled },
    });
  };
  const maxError = maxWakes === null ? "Enter a whole number." : errorFor(errors, "loopBreaker.maxWakes");
  const windowError = windowMinutes === null ? "Enter a whole number." : errorFor(errors, "loopBreaker.windowMinutes");
  return (
    <form onSubmit={submit} aria-label="Wake breaker settings" noValidate>
      <label className="check-option">
        <input type="checkbox" checked={draft.loopEnabled} onChange={(e) => edit({ loopEnabled: e.target.checked })} />
        <span>Loop breaker on</span>
      </label>
      <Field label="Wakes on one issue" hint="Stop after this many wakes (2–1000)…" error={maxError}>
        {(id, d) => (
          <input
            id={id}
            aria-describedby={d}
            aria-invalid={!!maxError}
            inputMode="numeric"
            value={draft.maxWakes}
            onChange={(e) => edit({ maxWakes: e.target.value })}
          />
        )}
      </Field>
      <Field label="Within minutes" hint="…within this many minutes without progress (1–10080)." error={windowError}>
        {(id, d) => (
          <input
            id={id}
            aria-describedby={d}
            aria-invalid={!!windowError}
            inputMode="numeric"
            value={draft.windowMinutes}
            onChange={(e) => edit({ windowMinutes: e.target.value })}
          />
        )}
      </Field>
      <label className="check-option">
        <input type="checkbox" checked={draft.quotaEnabled} onChange={(e) => edit({ quotaEnabled: e.target.checked })} />
        <span>Quota breaker on</span>
      </label>
      <SaveRow busy={save.isPending} disabled={maxWakes === null || windowMinutes === null} error={save.error} saved={saved} />
    </form>
  );
}

function SaveRow({ busy, disabled, error, saved }: { busy: boolean; disabled: boolean; error: unknown; saved: boolean }) {
  return (
    <>
      {error ? (
        <p className="error" role="alert">
          Not saved: {describeError(error)}
        </p>
      ) : null}
      <div className="row end">
        {saved ? (
          <span className="muted" role="status">
            Saved.
          </span>
        ) : null}
        <button type="submit" disabled={busy || disabled}>
          {busy ? "Saving…" : "Save"}
        </button>
      </div>
    </>
  );
}
