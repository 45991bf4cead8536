import type {
  CompanyExport,
  CompanyImportBody,
  CompanyImportPreview,
  CompanyImportResult,
  CompanyScopedImportBody,
  CreateFromTemplateBody,
  ExportFidelity,
} from "@staple/contracts";
import type { Actor } from "../auth/actor.js";
import { assertBoard, assertCanSee } from "../auth/access.js";
import type { Database } from "../db/database.js";
import { applyImport } from "./apply.js";
import { exportCompany, exportFidelity } from "./export.js";
import { type ImportTarget, planImport } from "./plan.js";
import { readPackage } from "./reader.js";
import { listTemplates, templateFiles } from "./templates.js";

/**
 * Company packages in and out: import (preview, apply), export, fidelity, starter templates. Imports,
 * template creation and export are board actions; fidelity (counts only) follows the company's read access.
 */
export function createPortabilityService(db: Database, opts: { home: string }) {
  const targetOf = (actor: Actor, body: CompanyImportBody): ImportTarget => {
    const target = body.target ?? { mode: "new_company" as const };
    if (target.mode === "existing_company") assertCanSee(actor, target.companyId, "Company");
    return target;
  };
  return {
    async preview(actor: Actor, body: CompanyImportBody): Promise<CompanyImportPreview> {
      assertBoard(actor);
      const read = readPackage(body.source.files);
      return (await planImport(db, read, targetOf(actor, body), body.collisionStrategy ?? "rename")).preview;
    },
    async apply(actor: Actor, body: CompanyImportBody): Promise<CompanyImportResult> {
      assertBoard(actor);
      const read = readPackage(body.source.files);
      return applyImport(db, opts.home, actor, read, targetOf(actor, body), body.collisionStrategy ?? "rename");
    },
    previewInto(actor: Actor, companyId: string, body: CompanyScopedImportBody) {
      return this.preview(actor, { ...body, target: { mode: "existing_company", companyId } });
    },
    applyInto(actor: Actor, companyId: string, body: CompanyScopedImportBody) {
      return this.apply(actor, { ...body, target: { mode: "existing_company", companyId } });
    },
    /** Board only: a package holds every agent's instructions and adapter config, and reads files the board configured. */
    async export(actor: Actor, companyId: string): Promise<CompanyExport> {
      assertBoard(actor);
      assertCanSee(actor, companyId, "Company");
      return exportCompany(db, opts.home, companyId);
    },
    async fidelity(actor: Actor, companyId: string): Promise<ExportFidelity> {
      assertCanSee(actor, companyId, "Company");
      return exportFidelity(db, companyId);
    },
    templates: () => listTemplates(),
    async fromTemplate(actor: Actor, body: CreateFromTemplateBody): Promise<CompanyImportResult> {
      assertBoard(actor);
      const read = readPackage(templateFiles(body.template));
      return applyImport(db, opts.home, actor, read, { mode: "new_company", newCompanyName: body.name ?? null }, "rename");
    },
  };
}
export type PortabilityService = ReturnType<typeof createPortabilityService>;
