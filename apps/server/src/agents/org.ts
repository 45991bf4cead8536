import type { OrgNode } from "@staple/contracts";

export interface OrgMember {
  id: string;
  name: string;
  role: string;
  title: string | null;
  status: string;
  icon: string | null;
  reportsTo: string | null;
}

/**
 * Builds the reporting forest. An agent whose manager is absent from `members` (terminated or
 * elsewhere) becomes a root, so nobody disappears from the chart.
 */
export function buildOrgTree(members: readonly OrgMember[]): OrgNode[] {
  const nodes = new Map<string, OrgNode>();
  for (const m of members) nodes.set(m.id, { ...m, reports: [] });
  const roots: OrgNode[] = [];
  for (const m of members) {
    const node = nodes.get(m.id)!;
    const manager = m.reportsTo ? nodes.get(m.reportsTo) : undefined;
    if (manager && manager !== node) manager.reports.push(node);
    else roots.push(node);
  }
  return roots;
}

/**
 * Whether making `agentId` report to `managerId` would close a loop: true when `agentId` is the
 * manager itself or one of the manager's (transitive) managers. `managerOf` maps id -> reportsTo.
 */
export function wouldCreateCycle(agentId: string, managerId: string, managerOf: ReadonlyMap<string, string | null>): boolean {
  let current: string | null | undefined = managerId;
  const seen = new Set<string>();
  while (current) {
    if (current === agentId) return true;
    if (seen.has(current)) return false; // an existing loop elsewhere; not ours to report
    seen.add(current);
    current = managerOf.get(current);
  }
  return false;
}
