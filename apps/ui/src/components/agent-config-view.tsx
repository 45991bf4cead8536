import { adapterTypeLabel, describeAdapterConfig } from "../lib/config-labels.js";
import { formatCents } from "../lib/format.js";

/** An agent's configuration as labelled fields (never raw keys or JSON; secret values never shown). */
export function AgentConfigView({
  adapterType,
  adapterConfig,
  budgetMonthlyCents,
}: {
  adapterType: string;
  adapterConfig: Record<string, unknown>;
  budgetMonthlyCents: number;
}) {
  const fields = describeAdapterConfig(adapterConfig);
  return (
    <dl className="kv" aria-label="Configuration">
      <div className="kv-row">
        <dt>Monthly budget</dt>
        <dd>{budgetMonthlyCents > 0 ? `${formatCents(budgetMonthlyCents)} a month` : "None"}</dd>
      </div>
      <div className="kv-row">
        <dt>Adapter</dt>
        <dd>
          {adapterTypeLabel(adapterType)} <span className="muted small mono">({adapterType})</span>
        </dd>
      </div>
      {fields.map((f) => (
        <div key={f.key} className="kv-row">
          <dt>{f.label}</dt>
          <dd className={f.mono ? "mono" : undefined}>{f.value}</dd>
        </div>
      ))}
    </dl>
  );
}
