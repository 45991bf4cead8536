import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Run-scoped agent tokens: HS256 JWTs minted per heartbeat run and handed to the agent process as
 * PAPERCLIP_API_KEY. Claims follow Paperclip's shape so its agents and skill work unchanged
 * (docs/agents-and-auth.md#run-tokens).
 */
export const AGENT_JWT_ISSUER = "paperclip";
export const AGENT_JWT_AUDIENCE = "paperclip-api";

export interface AgentJwtClaims {
  sub: string; // agent id
  company_id: string;
  adapter_type: string;
  run_id: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
}

const b64url = (input: Buffer | string) => Buffer.from(input).toString("base64url");
const HEADER = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));

export function signAgentJwt(
  claims: { agentId: string; companyId: string; adapterType: string; runId: string },
  secret: string,
  ttlSeconds: number,
  nowMs = Date.now(),
): string {
  const iat = Math.floor(nowMs / 1000);
  const payload: AgentJwtClaims = {
    sub: claims.agentId,
    company_id: claims.companyId,
    adapter_type: claims.adapterType,
    run_id: claims.runId,
    iat,
    exp: iat + ttlSeconds,
    iss: AGENT_JWT_ISSUER,
    aud: AGENT_JWT_AUDIENCE,
  };
  const body = `${HEADER}.${b64url(JSON.stringify(payload))}`;
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}

export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

export type JwtVerification = { ok: true; claims: AgentJwtClaims } | { ok: false; reason: string };

/** Pure verification: signature, algorithm, issuer, audience, expiry and claim shapes. */
export function verifyAgentJwt(token: string, secret: string, nowMs = Date.now()): JwtVerification {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "malformed token" };
  const [h, p, s] = parts as [string, string, string];
  let header: unknown;
  let payload: unknown;
  try {
    header = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
    payload = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
  } catch {
    return { ok: false, reason: "malformed token" };
  }
  if (!header || typeof header !== "object" || (header as { alg?: unknown }).alg !== "HS256") {
    return { ok: false, reason: "unsupported algorithm" };
  }
  const expected = createHmac("sha256", secret).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "bad signature" };
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) return { ok: false, reason: "malformed token" };
  const c = payload as Partial<AgentJwtClaims>;
  if (c.iss !== AGENT_JWT_ISSUER || c.aud !== AGENT_JWT_AUDIENCE) return { ok: false, reason: "wrong issuer or audience" };
  if (typeof c.exp !== "number" || c.exp * 1000 <= nowMs) return { ok: false, reason: "token expired" };
  for (const key of ["sub", "company_id", "run_id", "adapter_type"] as const) {
    if (typeof c[key] !== "string" || c[key] === "") return { ok: false, reason: `missing claim ${key}` };
  }
  return { ok: true, claims: c as AgentJwtClaims };
}
