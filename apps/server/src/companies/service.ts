import type { CreateCompanyBody, UpdateCompanyBody } from "@staple/contracts";
import { isUuid } from "@staple/contracts";
import { pgConstraint, pgErrorCode, PG_UNIQUE_VIOLATION, type Database, type Queryable } from "../db/database.js";
import { selectList, tableColumns, type Assert, type ColumnsOf, type RowMatches } from "../db/row-columns.js";
import { conflict, notFound } from "../errors.js";
import { LOCAL_BOARD_USER_ID, type Actor } from "../auth/actor.js";
import { assertBoard, assertCanSee } from "../auth/access.js";
import { recordActivity } from "../activity/record.js";
import { baseIssuePrefix, nextFreeIssuePrefix } from "./issue-prefix.js";

/** The columns a company row reads (test/row-types.test.ts checks them against the migrated schema). */
export const COMPANY_ROW = tableColumns("companies", [
  "id",
  "name",
  "description",
  "status",
  "pause_reason",
  "paused_at",
  "issue_prefix",
  "issue_counter",
  "budget_monthly_cents",
  "spent_monthly_cents",
  "require_board_approval_for_new_agents",
  "brand_color",
  "archived_at",
  "created_at",
  "updated_at",
]);
export const COMPANY_COLUMNS = selectList(COMPANY_ROW);

export interface CompanyRow {
  id: string;
  name: string;
  description: string | null;
  status: string;
  pauseReason: string | null;
  pausedAt: Date | null;
  issuePrefix: string;
  issueCounter: number;
  budgetMonthlyCents: number;
  spentMonthlyCents: number;
  requireBoardApprovalForNewAgents: boolean;
  brandColor: string | null;
  archivedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}
export type CompanyRowCheck = Assert<RowMatches<CompanyRow, ColumnsOf<typeof COMPANY_ROW>>>;

const PREFIX_ATTEMPTS = 8;

export function createCompanyService(db: Database) {
  async function find(q: Queryable, id: string): Promise<CompanyRow | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await q.query<CompanyRow>(`SELECT ${COMPANY_COLUMNS} FROM companies WHERE id = $1`, [id]);
    return row;
  }

  async function get(actor: Actor, id: string): Promise<CompanyRow> {
    const company = await find(db, id);
    if (!company) throw notFound("Company not found");
    assertCanSee(actor, company.id, "Company");
    return company;
  }

  return {
    find: (id: string) => find(db, id),
    get,

    /** Company-scoped routes call this first: unknown company -> 404. */
    async require(id: string): Promise<CompanyRow> {
      const company = await find(db, id);
      if (!company) throw notFound("Company not found");
      return company;
    },

    async list(actor: Actor): Promise<CompanyRow[]> {
      if (actor.kind === "agent") {
        return db.query<CompanyRow>(`SELECT ${COMPANY_COLUMNS} FROM companies WHERE id = $1`, [actor.companyId]);
      }
      if (actor.companyIds === "all") {
        return db.query<CompanyRow>(`SELECT ${COMPANY_COLUMNS} FROM companies ORDER BY created_at, id`);
      }
      return db.query<CompanyRow>(`SELECT ${COMPANY_COLUMNS} FROM companies WHERE id = ANY($1::uuid[]) ORDER BY created_at, id`, [
        actor.companyIds,
      ]);
    },

    async create(actor: Actor, body: CreateCompanyBody): Promise<CompanyRow> {
      assertBoard(actor);
      const base = baseIssuePrefix(body.name);
      // Two creates may pick the same free prefix; the unique index decides and the loser retries.
      for (let attempt = 0; attempt < PREFIX_ATTEMPTS; attempt++) {
        try {
          return await db.tx(async (q) => {
            const taken = await q.query<{ issuePrefix: string }>("SELECT issue_prefix FROM companies WHERE issue_prefix LIKE $1 || '%'", [
              base,
            ]);
            const prefix = nextFreeIssuePrefix(base, new Set(taken.map((t) => t.issuePrefix)));
            const [company] = await q.query<CompanyRow>(
              `INSERT INTO companies (name, description, issue_prefix, budget_monthly_cents,
                 require_board_approval_for_new_agents, brand_color)
               VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COMPANY_COLUMNS}`,
              [
                body.name,
                body.description ?? null,
                prefix,
                body.budgetMonthlyCents ?? 0,
                body.requireBoardApprovalForNewAgents ?? false,
                body.brandColor ?? null,
              ],
            );
            // A signed-in person who creates a company is its first owner (authenticated mode), so it is
            // listed among the members and keeps an owner once other people join. The local board
            // (token file, login links) is no person and reaches every company anyway.
            if (actor.kind === "board" && actor.userId !== LOCAL_BOARD_USER_ID) {
              await q.query(
                `INSERT INTO company_memberships (company_id, user_id, role)
                 SELECT $1, id, 'owner' FROM users WHERE id = $2 ON CONFLICT (company_id, user_id) DO NOTHING`,
                [company!.id, actor.userId],
              );
            }
            await recordActivity(q, {
              companyId: company!.id,
              actor,
              action: "company.created",
              entityType: "company",
              entityId: company!.id,
              details: { name: company!.name, issuePrefix: prefix },
            });
            return company!;
          });
        } catch (error) {
          if (pgErrorCode(error) === PG_UNIQUE_VIOLATION && pgConstraint(error) === "companies_issue_prefix_key") continue;
          throw error;
        }
      }
      throw conflict("Could not allocate an issue prefix; try again");
    },

    async update(actor: Actor, id: string, body: UpdateCompanyBody): Promise<CompanyRow> {
      assertBoard(actor);
      await get(actor, id);
      return db.tx(async (q) => {
        const sets: string[] = [];
        const params: unknown[] = [id];
        const columns: Record<string, string> = {
          name: "name",
          description: "description",
          budgetMonthlyCents: "budget_monthly_cents",
          requireBoardApprovalForNewAgents: "require_board_approval_for_new_agents",
          brandColor: "brand_color",
        };
        for (const [field, column] of Object.entries(columns)) {
          const value = (body as Record<string, unknown>)[field];
          if (value !== undefined) sets.push(`${column} = $${params.push(value)}`);
        }
        const [company] = await q.query<CompanyRow>(
          `UPDATE companies SET ${[...sets, "updated_at = now()"].join(", ")} WHERE id = $1 RETURNING ${COMPANY_COLUMNS}`,
          params,
        );
        await recordActivity(q, {
          companyId: id,
          actor,
          action: "company.updated",
          entityType: "company",
          entityId: id,
          details: { changes: body },
        });
        return company!;
      });
    },

    /** Archiving is a guarded transition: only a non-archived company moves to `archived`. */
    async archive(actor: Actor, id: string): Promise<CompanyRow> {
      assertBoard(actor);
      await get(actor, id);
      return db.tx(async (q) => {
        const [company] = await q.query<CompanyRow>(
          `UPDATE companies SET status = 'archived', archived_at = now(), updated_at = now()
            WHERE id = $1 AND status <> 'archived' RETURNING ${COMPANY_COLUMNS}`,
          [id],
        );
        // Already archived (possibly by a concurrent call): idempotent, answer the row as it is now.
        if (!company) return (await find(q, id))!;
        await recordActivity(q, { companyId: id, actor, action: "company.archived", entityType: "company", entityId: id });
        return company;
      });
    },
  };
}
export type CompanyService = ReturnType<typeof createCompanyService>;
