import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * The master keys that encrypt company secrets (AES-256-GCM, Node's crypto only).
 *
 * Where the keys come from (docs/secrets.md#master-key):
 * - STAPLE_SECRETS_MASTER_KEY: base64 of 32 bytes, the current key; STAPLE_SECRETS_PREVIOUS_KEYS:
 *   comma-separated older keys, kept only to decrypt values not yet re-encrypted.
 * - otherwise `$STAPLE_HOME/secrets.key` (mode 0600): one base64 key per line, the first is current,
 *   the rest are previous keys. Created with one fresh key on first use. When the environment names the
 *   current key, the file's keys (if any) are previous keys, so moving from the file to the environment
 *   re-encrypts everything on the next start.
 *
 * Invariants:
 * - A key is identified by `keyId` = the first 16 hex of SHA-256("staple-secrets-key-id" || key): stored
 *   beside every ciphertext, never the key. Ids are derived from key bytes, so every keyring loaded in
 *   this process registers its keys in one process-wide map by id (`decryptWithKnownKey`), which lets
 *   run-time readers that have no keyring of their own (the run engine, write redaction) decrypt.
 * - Every ciphertext is bound to `aad` (secret id and version), so a row copied onto another secret
 *   fails authentication instead of decrypting.
 * - Fingerprints are HMACs under a key derived from the master key *at write time* and stored; they do
 *   not change when the master key rotates (the stored value is kept).
 */

export const KEY_FILE_NAME = "secrets.key";
export const FINGERPRINT_PREFIX = "hmac-sha256:";

export class MasterKeyError extends Error {}

export interface Ciphertext {
  ciphertext: Buffer;
  iv: Buffer;
  authTag: Buffer;
  keyId: string;
}

export interface Keyring {
  currentKeyId: string;
  /** Ids of every key this keyring can decrypt with (current first). */
  keyIds: readonly string[];
  encrypt(plaintext: string, aad: string): Ciphertext;
  decrypt(box: Ciphertext, aad: string): string;
  /** `hmac-sha256:<16 hex>` over (secret id, value) under a key derived from the current master key. */
  fingerprint(secretId: string, value: string): string;
}

const knownKeys = new Map<string, Buffer>();

export function keyIdOf(key: Buffer): string {
  return createHash("sha256").update("staple-secrets-key-id\0").update(key).digest("hex").slice(0, 16);
}

function parseKey(text: string, where: string): Buffer {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, "base64");
  if (key.length !== 32 || key.toString("base64").replace(/=+$/, "") !== trimmed.replace(/=+$/, "")) {
    throw new MasterKeyError(`${where} must be base64 of exactly 32 bytes (generate one with: openssl rand -base64 32)`);
  }
  return key;
}

function readKeyFile(file: string): Buffer[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  return lines.map((line, i) => parseKey(line, `${file} line ${i + 1}`));
}

/** Writes a new key file with one fresh key; refuses to replace an existing file (`wx`). */
function createKeyFile(file: string): Buffer {
  const key = randomBytes(32);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  return key;
}

export interface KeySource {
  home: string;
  env?: Record<string, string | undefined>;
}

/** Loads (or, with neither the environment nor a file, creates) the master keys. */
export function loadKeyring(source: KeySource): Keyring {
  const env = source.env ?? process.env;
  const file = path.join(source.home, KEY_FILE_NAME);
  const keys: Buffer[] = [];
  if (env.STAPLE_SECRETS_MASTER_KEY) {
    keys.push(parseKey(env.STAPLE_SECRETS_MASTER_KEY, "STAPLE_SECRETS_MASTER_KEY"));
    for (const [i, text] of (env.STAPLE_SECRETS_PREVIOUS_KEYS ?? "").split(",").entries()) {
      if (text.trim()) keys.push(parseKey(text, `STAPLE_SECRETS_PREVIOUS_KEYS entry ${i + 1}`));
    }
    keys.push(...readKeyFile(file));
  } else {
    const fromFile = readKeyFile(file);
    if (fromFile.length === 0) {
      try {
        keys.push(createKeyFile(file));
      } catch (error) {
        // Another process created it between the check and the write: read theirs.
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        keys.push(...readKeyFile(file));
      }
    } else {
      keys.push(...fromFile);
    }
  }
  return keyringOf(keys);
}

/** A keyring over explicit keys (current first). Registers them for `decryptWithKnownKey`. */
export function keyringOf(keys: readonly Buffer[]): Keyring {
  if (keys.length === 0) throw new MasterKeyError("no master key");
  const byId = new Map<string, Buffer>();
  for (const key of keys) {
    const id = keyIdOf(key);
    if (!byId.has(id)) byId.set(id, key);
    knownKeys.set(id, key);
  }
  const current = keys[0]!;
  const currentKeyId = keyIdOf(current);
  const fingerprintKey = createHmac("sha256", current).update("staple:secret-fingerprint:v1").digest();
  return {
    currentKeyId,
    keyIds: [...byId.keys()],
    encrypt(plaintext, aad) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", current, iv);
      cipher.setAAD(Buffer.from(aad, "utf8"));
      const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return { ciphertext, iv, authTag: cipher.getAuthTag(), keyId: currentKeyId };
    },
    decrypt(box, aad) {
      const key = byId.get(box.keyId);
      if (!key) throw new MasterKeyError(`no master key with id ${box.keyId} is configured`);
      return decryptWith(key, box, aad);
    },
    fingerprint(secretId, value) {
      return `${FINGERPRINT_PREFIX}${createHmac("sha256", fingerprintKey).update(`${secretId}\0${value}`).digest("hex").slice(0, 16)}`;
    },
  };
}

function decryptWith(key: Buffer, box: Ciphertext, aad: string): string {
  const decipher = createDecipheriv("aes-256-gcm", key, box.iv);
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(box.authTag);
  return Buffer.concat([decipher.update(box.ciphertext), decipher.final()]).toString("utf8");
}

/** Decrypts with any key loaded in this process; null when the key is unknown or authentication fails. */
export function decryptWithKnownKey(box: Ciphertext, aad: string): string | null {
  const key = knownKeys.get(box.keyId);
  if (!key) return null;
  try {
    return decryptWith(key, box, aad);
  } catch {
    return null;
  }
}

/** The additional authenticated data of one secret version. */
export const secretAad = (secretId: string, version: number) => `staple-secret:${secretId}:${version}`;
