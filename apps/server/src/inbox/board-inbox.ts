import type { InboxItem } from "@staple/contracts";
import type { Database } from "../db/database.js";
import type { Actor } from "../auth/actor.js";
import { assertCompanyAccess } from "../auth/access.js";
import { DomainError, forbidden } from "../errors.js";
import { inboxSources, type SourceItem } from "./board-sources.js";

interface StateRow {
  itemKey: string;
  readAt: Date | null;
  archivedAt: Date | null;
}

export type InboxView = "active" | "archived" | "all";

/** Read and archive are per person: the board user behind the request. Agents have their own inbox-lite. */
function personOf(actor: Actor, companyId: string): string {
  if (actor.kind !== "board") throw forbidden("The board inbox belongs to people", "board_only");
  assertCompanyAccess(actor, companyId);
  return actor.userId;
}

/**
 * Applies a person's state to the computed items: unread while the item changed after it was read,
 * archived while the archive is not older than the item's last change (so a new failure, a
 * resubmitted approval or a fresh block resurfaces it).
 */
function withState(item: SourceItem, state: StateRow | undefined): InboxItem {
  const at = item.createdAt.getTime();
  const readAt = state?.readAt ?? null;
  const archivedAt = state?.archivedAt ?? null;
  return {
    ...item,
    createdAt: item.createdAt.toISOString(),
    unread: !readAt || readAt.getTime() < at,
    archived: archivedAt !== null && archivedAt.getTime() >= at,
    readAt: readAt?.toISOString() ?? null,
    archivedAt: archivedAt?.toISOString() ?? null,
  };
}

function summary(items: InboxItem[]) {
  const active = items.filter((i) => !i.archived);
  return { unread: active.filter((i) => i.unread).length, total: active.length };
}

/** The board inbox: items computed from the data, each person's read/archive state from inbox_item_states. */
export function createBoardInboxService(db: Database) {
  async function compute(companyId: string, userId: string): Promise<InboxItem[]> {
    const [items, states] = await Promise.all([
      inboxSources(db, companyId, userId),
      db.query<StateRow>("SELECT item_key, read_at, archived_at FROM inbox_item_states WHERE company_id = $1 AND user_id = $2", [
        companyId,
        userId,
      ]),
    ]);
    const byKey = new Map(states.map((s) => [s.itemKey, s]));
    return items.map((item) => withState(item, byKey.get(item.key)));
  }

  /** Sets read_at or archived_at (now) for keys that are items of this person's inbox; 404 names unknown keys. */
  async function mark(actor: Actor, companyId: string, keys: string[], op: "read" | "unread" | "archive" | "unarchive") {
    const userId = personOf(actor, companyId);
    const items = await compute(companyId, userId);
    const known = new Map(items.map((i) => [i.key, i]));
    const unique = [...new Set(keys)];
    const missing = unique.filter((k) => !known.has(k));
    if (missing.length)
      throw new DomainError("not_found", `No such inbox item: ${missing.join(", ")}`, { itemKeys: missing }, "inbox_item_not_found");
    const set = {
      read: "read_at = now()",
      unread: "read_at = NULL",
      archive: "archived_at = now(), read_at = now()",
      unarchive: "archived_at = NULL",
    }[op];
    const insertRead = op === "read" || op === "archive";
    const insertArchived = op === "archive";
    await db.query(
      `INSERT INTO inbox_item_states (company_id, user_id, item_key, item_kind, read_at, archived_at)
       SELECT $1, $2, k.key, k.kind, CASE WHEN $5 THEN now() END, CASE WHEN $6 THEN now() END
         FROM unnest($3::text[], $4::text[]) AS k(key, kind)
       ON CONFLICT (company_id, user_id, item_key) DO UPDATE SET ${set}, updated_at = now()`,
      [companyId, userId, unique, unique.map((k) => known.get(k)!.kind), insertRead, insertArchived],
    );
    return { updated: unique, ...summary(await compute(companyId, userId)) };
  }

  /** Paperclip's dismissal shape for one key of this person's state. */
  async function dismissalOf(companyId: string, userId: string, itemKey: string) {
    const [row] = await db.query<{ itemKey: string; archivedAt: Date | null; updatedAt: Date }>(
      "SELECT item_key, archived_at, updated_at FROM inbox_item_states WHERE company_id = $1 AND user_id = $2 AND item_key = $3",
      [companyId, userId, itemKey],
    );
    return {
      itemKey,
      kind: "dismiss" as const,
      dismissed: Boolean(row?.archivedAt),
      dismissedAt: row?.archivedAt?.toISOString() ?? null,
      snoozedUntil: null,
    };
  }

  return {
    /** Paperclip-compatible: this person's archived (dismissed) items, newest first. */
    async dismissals(actor: Actor, companyId: string) {
      const userId = personOf(actor, companyId);
      const rows = await db.query<{ itemKey: string; archivedAt: Date }>(
        `SELECT item_key, archived_at FROM inbox_item_states
          WHERE company_id = $1 AND user_id = $2 AND archived_at IS NOT NULL ORDER BY archived_at DESC, item_key LIMIT 500`,
        [companyId, userId],
      );
      return {
        dismissals: rows.map((r) => ({
          itemKey: r.itemKey,
          kind: "dismiss" as const,
          dismissed: true,
          dismissedAt: r.archivedAt.toISOString(),
          snoozedUntil: null,
        })),
      };
    },
    async dismiss(actor: Actor, companyId: string, itemKey: string) {
      await mark(actor, companyId, [itemKey], "archive");
      return dismissalOf(companyId, personOf(actor, companyId), itemKey);
    },
    async restore(actor: Actor, companyId: string, itemKey: string) {
      await mark(actor, companyId, [itemKey], "unarchive");
      return dismissalOf(companyId, personOf(actor, companyId), itemKey);
    },
    async list(actor: Actor, companyId: string, view: InboxView) {
      const items = await compute(companyId, personOf(actor, companyId));
      const shown = view === "all" ? items : items.filter((i) => i.archived === (view === "archived"));
      return { items: shown, ...summary(items) };
    },
    async count(actor: Actor, companyId: string) {
      return summary(await compute(companyId, personOf(actor, companyId)));
    },
    markRead: (actor: Actor, companyId: string, keys: string[]) => mark(actor, companyId, keys, "read"),
    markUnread: (actor: Actor, companyId: string, keys: string[]) => mark(actor, companyId, keys, "unread"),
    archive: (actor: Actor, companyId: string, keys: string[]) => mark(actor, companyId, keys, "archive"),
    unarchive: (actor: Actor, companyId: string, keys: string[]) => mark(actor, companyId, keys, "unarchive"),
  };
}

export type BoardInboxService = ReturnType<typeof createBoardInboxService>;
