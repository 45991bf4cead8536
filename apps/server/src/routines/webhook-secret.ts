import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Webhook signing secrets. The secret is shown once (create, rotate); the database keeps it only
 * encrypted (AES-256-GCM, key derived from the server secret with a purpose label), because checking
 * an HMAC needs the secret itself. Comparisons are constant-time.
 */
export function createWebhookSecrets(serverSecret: string) {
  const key = createHmac("sha256", serverSecret).update("staple:routine-webhook-secret:v1").digest();

  return {
    generate(): string {
      return `whsec_${randomBytes(32).toString("base64url")}`;
    },

    seal(secret: string): string {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
      return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), body.toString("base64url")].join(".");
    },

    open(sealed: string): string {
      const [version, iv, tag, body] = sealed.split(".");
      if (version !== "v1" || !iv || !tag || body === undefined) throw new Error("unreadable webhook secret");
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
    },
  };
}
export type WebhookSecrets = ReturnType<typeof createWebhookSecrets>;

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Seconds or milliseconds since the epoch, as sent in X-Paperclip-Timestamp. */
function timestampMs(value: string): number | null {
  if (!/^\d{1,16}$/.test(value)) return null;
  const n = Number(value);
  return n < 1e12 ? n * 1000 : n;
}

export interface SignedRequest {
  rawBody: string;
  authorization?: string;
  signature?: string;
  timestamp?: string;
}

/**
 * Whether a public fire is signed by the trigger's secret.
 * - hmac_sha256: `X-Paperclip-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>`
 *   and `X-Paperclip-Timestamp` within ±replayWindowSec of now (the timestamp is signed, so it
 *   cannot be moved without the secret).
 * - bearer: `Authorization: Bearer <secret>`.
 * Returns a replay key (hmac) so one signed request fires at most once, or null when it is refused.
 */
export function verifyWebhook(
  mode: "hmac_sha256" | "bearer",
  secret: string,
  req: SignedRequest,
  now: Date,
  replayWindowSec: number,
): { ok: true; replayKey: string | null } | { ok: false } {
  if (mode === "bearer") {
    return safeEqual(req.authorization?.trim() ?? "", `Bearer ${secret}`) ? { ok: true, replayKey: null } : { ok: false };
  }
  const signature = req.signature?.trim().replace(/^sha256=/, "") ?? "";
  const timestamp = req.timestamp?.trim() ?? "";
  const ms = timestampMs(timestamp);
  if (!signature || ms === null || Math.abs(now.getTime() - ms) > replayWindowSec * 1000) return { ok: false };
  const expected = createHmac("sha256", secret).update(`${timestamp}.`).update(req.rawBody).digest("hex");
  if (!safeEqual(signature.toLowerCase(), expected)) return { ok: false };
  return { ok: true, replayKey: `webhook:${createHash("sha256").update(`${timestamp}:${expected}`).digest("hex")}` };
}
