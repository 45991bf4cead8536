import type {
  CompanyExport,
  CompanyImportBody,
  CompanyImportPreview,
  CompanyImportResult,
  CompanyScopedImportBody,
  CreateFromTemplateBody,
  ExportFidelity,
  PaperclipDbImportBody,
  PaperclipDbImportPreview,
  PaperclipDbImportResult,
} from "@staple/contracts";
import type { Actor } from "../auth/actor.js";
import { assertBoard, assertCanSee } from "../auth/access.js";
import type { Database } from "../db/database.js";
import { forbidden } from "../errors.js";
import { applyImport, applyImports } from "./apply.js";
import { checkHistory, historyCounts, writeHistory } from "./paperclip-history.js";
import { exportCompany, exportFidelity } from "./export.js";
import { type ImportTarget, planImport } from "./plan.js";
import { packageFromModel, readPackage } from "./reader.js";
import { listTemplates, templateFiles } from "./templates.js";

/** A whole installation's companies become new companies here: only a board user who sees every company. */
function assertInstanceAdmin(actor: Actor): void {
  if (actor.kind !== "board" || actor.companyIds !== "all") {
    throw forbidden("Importing a Paperclip installation is for the board (an instance admin)", "board_only");
  }
}

/** The Paperclip database import's companies, each checked (references, history) before anything is planned. */
function readPaperclipDb(body: PaperclipDbImportBody) {
  return body.companies.map((company) => {
    const ignored = company.ignored.map((i) => ({ ...i, reason: i.reason ?? "" }));
    const read = packageFromModel(company.package, ignored, company.warnings);
    checkHistory(company);
    return { company, read };
  });
}

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
    /** Every company of a Paperclip installation, as new companies: the package preview per company plus history counts. */
    async previewPaperclipDb(actor: Actor, body: PaperclipDbImportBody): Promise<PaperclipDbImportPreview> {
      assertInstanceAdmin(actor);
      const companies = [];
      for (const { company, read } of readPaperclipDb(body)) {
        const plan = await planImport(db, read, { mode: "new_company" }, body.collisionStrategy ?? "rename");
        companies.push({ sourceId: company.sourceId, preview: plan.preview, history: historyCounts(company.history) });
      }
      return { companies };
    },
    /** All companies with their history in one transaction: all or nothing. */
    async applyPaperclipDb(actor: Actor, body: PaperclipDbImportBody): Promise<PaperclipDbImportResult> {
      assertInstanceAdmin(actor);
      const items = readPaperclipDb(body).map(({ company, read }) => ({
        read,
        target: { mode: "new_company" as const },
        strategy: body.collisionStrategy ?? ("rename" as const),
        after: (q: Parameters<typeof writeHistory>[0], applied: Parameters<typeof writeHistory>[1]) => writeHistory(q, applied, company),
      }));
      const applied = await applyImports(db, opts.home, actor, items);
      return {
        companies: applied.map((a, i) => ({
          sourceId: body.companies[i]!.sourceId,
          result: a.result,
          history: historyCounts(body.companies[i]!.history),
        })),
      };
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
