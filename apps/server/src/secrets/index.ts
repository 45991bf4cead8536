import type { Database } from "../db/database.js";
import { loadKeyring, type KeySource } from "./keyring.js";
import { createSecretStore } from "./store.js";
import { moveInlineSecrets, reencryptToCurrentKey } from "./upgrade.js";

/**
 * The secrets module as the composition root builds it: the store over the master keys of `source`,
 * and `startUp`, run once after migrations (moves inline env secrets into the store, re-encrypts
 * values under a previous master key).
 */
export function createSecretsModule(db: Database, source: KeySource) {
  const keyring = loadKeyring(source);
  return {
    ...createSecretStore(db, keyring),
    async startUp(): Promise<{ moved: number; reencrypted: number }> {
      const moved = await moveInlineSecrets(db, keyring);
      const reencrypted = await reencryptToCurrentKey(db, keyring);
      return { moved, reencrypted };
    },
  };
}
export type SecretsModule = ReturnType<typeof createSecretsModule>;
