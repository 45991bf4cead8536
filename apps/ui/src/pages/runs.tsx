import { useQuery } from "@tanstack/react-query";
import { useApi } from "../api/context.js";
import { queries } from "../api/queries.js";
import { QueryState } from "../components/query-state.js";
import { PageTitle, Section } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";
import { RunTable } from "./dashboard.js";

export function RunsPage() {
  const { company } = useCompany();
  const runs = useQuery(queries.runs(useApi(), company.id, { limit: 100 }));
  return (
    <>
      <PageTitle title="Runs">Runs</PageTitle>
      <Section title="The 100 most recent runs">
        <QueryState query={runs} empty="No runs yet.">
          {(list) => <RunTable runs={list} />}
        </QueryState>
      </Section>
    </>
  );
}
