import { OPEN_APPROVAL_STATUSES } from "@staple/contracts";
import type { Approval } from "../api/types.js";
import { formatCents } from "./format.js";

/** Awaiting the board: pending, or sent back for revision (the board may still approve or reject). */
export function isOpenApproval(a: Pick<Approval, "status">): boolean {
  return (OPEN_APPROVAL_STATUSES as readonly string[]).includes(a.status);
}

/** Pending first (oldest first: the longest wait on top), then those sent back for revision, then decided ones (latest decision first). */
export function sortApprovals<T extends Pick<Approval, "status" | "createdAt" | "decidedAt" | "updatedAt">>(list: readonly T[]): T[] {
  const time = (iso: string | null | undefined) => (iso ? Date.parse(iso) || 0 : 0);
  const rank = (a: T) => (a.status === "pending" ? 0 : a.status === "revision_requested" ? 1 : 2);
  return [...list].sort((a, b) => {
    if (rank(a) !== rank(b)) return rank(a) - rank(b);
    if (rank(a) === 0) return time(a.createdAt) - time(b.createdAt);
    return time(b.decidedAt ?? b.updatedAt) - time(a.decidedAt ?? a.updatedAt);
  });
}

export const APPROVAL_TYPE_LABELS: Record<Approval["type"], string> = {
  hire_agent: "Hire an agent",
  approve_ceo_strategy: "CEO strategy",
  budget_override_required: "Budget override",
  request_board_approval: "Board decision",
};

/** Which decisions the board may take from a status (the server's transitions). */
export function availableDecisions(status: Approval["status"]): ("approve" | "reject" | "request-revision")[] {
  if (status === "pending") return ["approve", "reject", "request-revision"];
  if (status === "revision_requested") return ["approve", "reject"];
  return [];
}

export interface SummaryRow {
  label: string;
  value: string;
}

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/**
 * The few payload fields that let the board decide without reading JSON: a hire's name, role and
 * adapter; a budget override's scope and amounts (cents); the title or summary a request carries.
 * `scopeName` resolves a budget scope's id to a name when the caller knows it.
 */
export function summarizePayload(a: Pick<Approval, "type" | "payload">, scopeName?: string | null): SummaryRow[] {
  const p = a.payload as Record<string, unknown>;
  const rows: SummaryRow[] = [];
  const push = (label: string, value: string | null) => {
    if (value) rows.push({ label, value });
  };
  if (a.type === "hire_agent") {
    push("Agent", str(p.name));
    push("Role", [str(p.role), str(p.title)].filter(Boolean).join(" · ") || null);
    push("Adapter", str(p.adapterType));
    const budget = num(p.budgetMonthlyCents);
    if (budget) push("Monthly budget", formatCents(budget));
    if (Array.isArray(p.desiredSkills) && p.desiredSkills.length) {
      push(
        "Desired skills",
        p.desiredSkills.map((s) => (typeof s === "string" ? s : (str((s as { key?: unknown })?.key) ?? "?"))).join(", "),
      );
    }
    return rows;
  }
  if (a.type === "budget_override_required") {
    const scopeType = str(p.scopeType);
    push("Scope", scopeType ? `${scopeType}${scopeName ? `: ${scopeName}` : ""}` : null);
    const amount = num(p.amount);
    const observed = num(p.observed);
    if (amount !== null) push("Budget", formatCents(amount));
    if (observed !== null) push("Spent", formatCents(observed));
    if (amount !== null && observed !== null && observed > amount) push("Over by", formatCents(observed - amount));
    return rows;
  }
  push("Title", str(p.title) ?? str(p.name));
  push("Summary", str(p.summary) ?? str(p.description) ?? str(p.plan) ?? str(p.reason));
  return rows;
}
