import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import type { Schemas } from "@staple/api-client";
import { unwrap } from "../api/client.js";
import { useApi } from "../api/context.js";
import { QueryState } from "../components/query-state.js";
import { ErrorNote, Field, PageTitle, Section } from "../components/ui.js";
import { useCompany } from "../lib/company-context.js";

type Preview = Schemas["CompanyImportPreview"];
type Files = Schemas["CompanyExport"]["files"];
type Target = "new" | "this";

/** The package files of a chosen .json file: an export answer (`{files}`) or a bare path -> content map. */
export function packageFilesOf(text: string): Files {
  const parsed = JSON.parse(text) as { files?: unknown };
  const files = parsed && typeof parsed === "object" && "files" in parsed ? parsed.files : parsed;
  if (!files || typeof files !== "object" || Array.isArray(files)) throw new Error("The file carries no package files");
  return files as Files;
}

/** The file's text through FileReader (every browser, and the test DOM, which has no Blob.text). */
function readText(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error("The file could not be read"));
    reader.readAsText(file);
  });
}

/**
 * Company packages on the board: download this company as a package, see what a package leaves out,
 * and import one (as a new company or into this one) with the preview shown before anything is written.
 */
export function ImportExportPage() {
  const api = useApi();
  const { company } = useCompany();
  const path = { params: { path: { companyId: company.id } } };
  const fidelity = useQuery({
    queryKey: ["company", company.id, "export-fidelity"],
    queryFn: () => unwrap(api.GET("/api/companies/{companyId}/export/fidelity", path)),
  });
  const download = useMutation({
    mutationFn: async () => {
      const exported = await unwrap(api.POST("/api/companies/{companyId}/exports", { ...path, body: {} }));
      const url = URL.createObjectURL(new Blob([JSON.stringify(exported, null, 2)], { type: "application/json" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `${exported.rootPath}.json`;
      a.click();
      URL.revokeObjectURL(url);
      return exported;
    },
  });

  return (
    <>
      <PageTitle title="Import and export">Import and export</PageTitle>
      <Section title="Export">
        <p className="muted">
          A package holds the company, its agents with their instructions, goals, projects and issues with comments and documents, in the
          layout Paperclip reads. The CLI writes it as a folder or a zip: <code>staple company export {company.id}</code>.
        </p>
        <button type="button" className="button" disabled={download.isPending} onClick={() => download.mutate()}>
          {download.isPending ? "Exporting…" : "Download package"}
        </button>
        {download.data ? (
          <p role="status">
            Exported {Object.keys(download.data.files).length} files.
            {download.data.warnings.length ? ` Left out: ${download.data.warnings.join(" ")}` : ""}
          </p>
        ) : null}
        <ErrorNote error={download.error} />
        <h3>Not in a package</h3>
        <QueryState query={fidelity} loadingLabel="Checking…">
          {(report) =>
            report.notCarried.filter((n) => n.count > 0).length === 0 ? (
              <p className="muted">Nothing of this company is left out.</p>
            ) : (
              <ul aria-label="Not carried by a package">
                {report.notCarried
                  .filter((n) => n.count > 0)
                  .map((n) => (
                    <li key={n.kind}>
                      {n.count} × {n.kind.replace(/_/g, " ")}: {n.reason}
                    </li>
                  ))}
              </ul>
            )
          }
        </QueryState>
      </Section>
      <ImportSection />
    </>
  );
}

function ImportSection() {
  const api = useApi();
  const { company } = useCompany();
  const [files, setFiles] = useState<Files | null>(null);
  const [readError, setReadError] = useState<string | null>(null);
  const [target, setTarget] = useState<Target>("new");
  const body = (f: Files) => ({
    source: { type: "inline" as const, files: f },
    target: target === "new" ? { mode: "new_company" as const } : { mode: "existing_company" as const, companyId: company.id },
  });
  const preview = useMutation({ mutationFn: (f: Files) => unwrap(api.POST("/api/companies/import/preview", { body: body(f) })) });
  const apply = useMutation({ mutationFn: (f: Files) => unwrap(api.POST("/api/companies/import", { body: body(f) })) });

  async function choose(file: File | undefined) {
    setReadError(null);
    setFiles(null);
    preview.reset();
    apply.reset();
    if (!file) return;
    try {
      const chosen = packageFilesOf(await readText(file));
      setFiles(chosen);
      preview.mutate(chosen);
    } catch (error) {
      setReadError(`${file.name}: ${(error as Error).message}`);
    }
  }

  return (
    <Section title="Import">
      <p className="muted">
        Choose a package exported by Staple or Paperclip as JSON (for a folder or a zip, use <code>staple company import</code>). Nothing is
        written until you apply.
      </p>
      <fieldset>
        <legend>Import as</legend>
        <label>
          <input type="radio" name="target" checked={target === "new"} onChange={() => setTarget("new")} /> a new company
        </label>
        <label>
          <input type="radio" name="target" checked={target === "this"} onChange={() => setTarget("this")} /> into {company.name}
        </label>
      </fieldset>
      <Field label="Package file">
        {(id) => <input id={id} type="file" accept=".json,application/json" onChange={(e) => void choose(e.target.files?.[0])} />}
      </Field>
      {readError ? (
        <p className="error" role="alert">
          {readError}
        </p>
      ) : null}
      <ErrorNote error={preview.error} />
      {preview.data ? <PreviewView preview={preview.data} /> : null}
      {files && preview.data && !apply.data ? (
        <button type="button" className="button" disabled={apply.isPending} onClick={() => apply.mutate(files)}>
          {apply.isPending ? "Importing…" : "Apply import"}
        </button>
      ) : null}
      <ErrorNote error={apply.error} />
      {apply.data ? (
        <p role="status">
          Imported {apply.data.company.name}: {apply.data.agents.filter((a) => a.action === "created").length} agents,{" "}
          {apply.data.issues.length} issues. <Link to={`/c/${apply.data.company.id}`}>Open {apply.data.company.name}</Link>
        </p>
      ) : null}
    </Section>
  );
}

function PreviewView({ preview }: { preview: Preview }) {
  const counts = new Map<string, number>();
  for (const item of preview.create) counts.set(item.kind, (counts.get(item.kind) ?? 0) + 1);
  return (
    <div aria-label="Import preview" role="region">
      <p>
        Into {preview.target.mode === "new_company" ? "a new company" : "company"} <strong>{preview.target.companyName}</strong>, issue
        prefix <code>{preview.issuePrefix}</code>. Creates:{" "}
        {[...counts].map(([kind, n]) => `${n} ${kind}${n === 1 ? "" : "s"}`).join(", ") || "nothing"}.
      </p>
      {preview.conflicts.length ? (
        <ul aria-label="Conflicts">
          {preview.conflicts.map((c) => (
            <li key={`${c.kind}:${c.slug}`}>
              {c.name}: {c.reason}
            </li>
          ))}
        </ul>
      ) : null}
      {preview.ignored.length ? (
        <ul aria-label="Ignored">
          {preview.ignored.map((i) => (
            <li key={`${i.kind}:${i.slug}:${i.reason}`}>
              {i.kind} {i.name}: {i.reason}
            </li>
          ))}
        </ul>
      ) : null}
      {preview.warnings.length ? (
        <ul aria-label="Warnings">
          {preview.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
