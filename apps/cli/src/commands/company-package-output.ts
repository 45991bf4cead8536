import type { Schemas } from "@staple/api-client";
import type { Context } from "../context.js";

type Preview = Schemas["CompanyImportPreview"];
type Result = Schemas["CompanyImportResult"];

/** The preview as a person reads it: counts of what is created, then every ignored item and conflict with its reason. */
export function printPreview(ctx: Context, preview: Preview) {
  const counts = new Map<string, number>();
  for (const item of preview.create) counts.set(item.kind, (counts.get(item.kind) ?? 0) + 1);
  const where =
    preview.target.mode === "new_company" ? `new company ${preview.target.companyName}` : `company ${preview.target.companyName}`;
  ctx.print(`Import into ${where} (issue prefix ${preview.issuePrefix}):`);
  ctx.print(`  creates: ${[...counts].map(([kind, n]) => `${n} ${kind}${n === 1 ? "" : "s"}`).join(", ") || "nothing"}`);
  for (const item of preview.create.filter((c) => c.kind === "agent" || c.kind === "issue")) ctx.print(`    + ${item.kind} ${item.name}`);
  if (preview.conflicts.length) ctx.print("  conflicts:");
  for (const c of preview.conflicts) ctx.print(`    ! ${c.kind} ${c.name}: ${c.reason ?? ""}`);
  if (preview.ignored.length) ctx.print("  ignored:");
  for (const i of preview.ignored) ctx.print(`    - ${i.kind} ${i.name}: ${i.reason ?? ""}`);
  for (const w of preview.warnings) ctx.print(`  warning: ${w}`);
}

export function printImportResult(ctx: Context, result: Result) {
  const created = result.agents.filter((a) => a.action === "created").length;
  ctx.print(
    `Imported ${result.company.name} (prefix ${result.company.issuePrefix}): ${created} agents, ${result.projects.length} projects, ${result.issues.length} issues: ${result.company.id}`,
  );
}
