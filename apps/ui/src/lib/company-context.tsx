import { createContext, useContext } from "react";
import type { Agent, Company } from "../api/types.js";

export interface CompanyCtx {
  company: Company;
  companies: Company[];
  agents: Agent[];
  agentName: (id: string | null | undefined) => string;
  /** Base path of the company's pages: /c/<id>. */
  base: string;
}

export const CompanyContext = createContext<CompanyCtx | null>(null);

export function useCompany(): CompanyCtx {
  const ctx = useContext(CompanyContext);
  if (!ctx) throw new Error("useCompany outside a company");
  return ctx;
}
