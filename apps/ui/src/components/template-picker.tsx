import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { queryKeys } from "../lib/query-keys.js";
import { ErrorNote } from "./ui.js";

/**
 * Onboarding's other way in: a ready company from a bundled starter template (agents with
 * instructions, a project, first issues). `name` (the onboarding form's company name, when typed)
 * replaces the template's name.
 */
export function TemplatePicker({ name }: { name: string }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const templates = useQuery({ queryKey: ["company-templates"], queryFn: () => unwrap(api.GET("/api/company-templates")) });
  const create = useMutation({
    mutationFn: (template: string) =>
      unwrap(api.POST("/api/companies/from-template", { body: { template, ...(name.trim() ? { name: name.trim() } : {}) } })),
    onSuccess: async (result) => {
      await queryClient.invalidateQueries({ queryKey: queryKeys.companies() });
      navigate(`/c/${result.company.id}`);
    },
  });
  if (!templates.data?.length) return null;
  return (
    <section aria-labelledby="templates-heading" className="templates">
      <h2 id="templates-heading">Or start from a template</h2>
      <ul>
        {templates.data.map((t) => (
          <li key={t.name}>
            <button type="button" className="secondary" disabled={create.isPending} onClick={() => create.mutate(t.name)}>
              Start with {t.title}
            </button>{" "}
            <span className="muted">
              {t.description} ({t.agents} {t.agents === 1 ? "agent" : "agents"})
            </span>
          </li>
        ))}
      </ul>
      <ErrorNote error={create.error} />
    </section>
  );
}
