/** What escalation knows about a stranded source's recovery issues (gathered under its row lock). */
export interface EscalationFacts {
  /** The source's open recovery issue, if any. */
  openRecoveryId: string | null;
  /** The source's most recently created recovery issue that was closed (done or cancelled). */
  lastClosedRecovery: { id: string; status: string } | null;
  /**
   * Whether the source genuinely moved since that recovery issue was created: a run on it
   * succeeded, or someone other than its assignee and the system changed its status or assignee.
   * Runs that merely fail again (the blocker-resolved wake, continuation retries) do not count.
   */
  sourceMovedSince: boolean;
  /** Whether the source was already blocked in place for that closed recovery issue. */
  alreadyBlockedInPlace: boolean;
}

export type EscalationAction =
  | { kind: "reuse_open"; recoveryIssueId: string }
  | { kind: "create" }
  | { kind: "block_source_in_place"; recoveryIssueId: string; comment: boolean };

/**
 * One escalation per stranded episode of a source issue. An episode starts when the source is
 * first escalated and ends only when the source genuinely moves. Within an episode the source
 * keeps its one recovery issue; if that issue was closed while the source is still stranded (its
 * owner closed it without fixing anything), the source is blocked where it stands for the board,
 * instead of opening another recovery issue for the same owner to close again. Pure.
 */
export function decideEscalation(f: EscalationFacts): EscalationAction {
  if (f.openRecoveryId) return { kind: "reuse_open", recoveryIssueId: f.openRecoveryId };
  if (!f.lastClosedRecovery || f.sourceMovedSince) return { kind: "create" };
  return { kind: "block_source_in_place", recoveryIssueId: f.lastClosedRecovery.id, comment: !f.alreadyBlockedInPlace };
}
