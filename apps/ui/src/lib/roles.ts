import { humanize } from "./status.js";

/** Role names as people write them: abbreviations in capitals, not "Ceo". */
const ROLE_LABELS: Record<string, string> = {
  ceo: "CEO",
  cto: "CTO",
  cmo: "CMO",
  cfo: "CFO",
  pm: "PM",
  qa: "QA",
  devops: "DevOps",
};

export function roleLabel(role: string | null | undefined): string {
  if (!role) return "";
  return ROLE_LABELS[role.toLowerCase()] ?? humanize(role);
}
