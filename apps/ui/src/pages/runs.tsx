import { api } from "../api/client.js";
import type { HeartbeatRun } from "../api/types.js";
import { PageTitle, Section } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { useLiveEvents } from "../lib/live-context.js";
import { reduceRuns } from "../lib/live.js";
import { useResource } from "../lib/use-resource.js";
import { RunTable } from "./dashboard.js";

export function RunsPage() {
  const { company } = useCompany();
  const runs = useResource(`runs:${company.id}`, () => api.runs.list(company.id, { limit: 100 }), (e) => e.type === "heartbeat.run.queued");
  useLiveEvents((event) => runs.setData((list) => (list ? (reduceRuns(list, event, (r) => r.id) as HeartbeatRun[]) : list)));
  return (
    <>
      <PageTitle title="Runs">Runs</PageTitle>
      <Section title="The 100 most recent runs">
        <RunTable runs={runs.data} />
      </Section>
    </>
  );
}
