import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AGENT_JWT_AUDIENCE, AGENT_JWT_ISSUER, looksLikeJwt, signAgentJwt, verifyAgentJwt } from "../src/auth/agent-jwt.js";

const SECRET = "unit-test-secret";
const NOW = Date.UTC(2030, 0, 1, 12, 0, 0); // a whole second
const CLAIMS = {
  agentId: "11111111-1111-4111-8111-111111111111",
  companyId: "22222222-2222-4222-8222-222222222222",
  adapterType: "process",
  runId: "33333333-3333-4333-8333-333333333333",
};

const b64 = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const hs256 = (data: string, secret = SECRET) => createHmac("sha256", secret).update(data).digest("base64url");

/** Builds a token from arbitrary header and payload, signed with HS256 (or the given signature). */
function forge(header: unknown, payload: unknown, opts: { secret?: string; signature?: string } = {}): string {
  const body = `${b64(header)}.${b64(payload)}`;
  return `${body}.${opts.signature ?? hs256(body, opts.secret)}`;
}

function validPayload(overrides: Record<string, unknown> = {}) {
  const iat = Math.floor(NOW / 1000);
  return {
    sub: CLAIMS.agentId,
    company_id: CLAIMS.companyId,
    adapter_type: CLAIMS.adapterType,
    run_id: CLAIMS.runId,
    iat,
    exp: iat + 3600,
    iss: AGENT_JWT_ISSUER,
    aud: AGENT_JWT_AUDIENCE,
    ...overrides,
  };
}

const decodePart = (token: string, i: number) => JSON.parse(Buffer.from(token.split(".")[i]!, "base64url").toString("utf8"));

describe("signAgentJwt", () => {
  it("produces a three-part HS256 token with Paperclip's claims", () => {
    const token = signAgentJwt(CLAIMS, SECRET, 600, NOW);
    expect(token.split(".")).toHaveLength(3);
    expect(looksLikeJwt(token)).toBe(true);
    expect(decodePart(token, 0)).toEqual({ alg: "HS256", typ: "JWT" });
    const iat = Math.floor(NOW / 1000);
    expect(decodePart(token, 1)).toEqual({
      sub: CLAIMS.agentId,
      company_id: CLAIMS.companyId,
      adapter_type: "process",
      run_id: CLAIMS.runId,
      iat,
      exp: iat + 600,
      iss: "paperclip",
      aud: "paperclip-api",
    });
  });

  it("signs header.payload with HMAC-SHA256 of the secret (interoperable with any JWT library)", () => {
    const token = signAgentJwt(CLAIMS, SECRET, 600, NOW);
    const [h, p, s] = token.split(".");
    expect(s).toBe(hs256(`${h}.${p}`));
  });

  it("floors iat to whole seconds", () => {
    const token = signAgentJwt(CLAIMS, SECRET, 10, NOW + 999);
    expect(decodePart(token, 1).iat).toBe(NOW / 1000);
    expect(decodePart(token, 1).exp).toBe(NOW / 1000 + 10);
  });

  it("round-trips through verifyAgentJwt", () => {
    const token = signAgentJwt(CLAIMS, SECRET, 600, NOW);
    const result = verifyAgentJwt(token, SECRET, NOW);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.claims).toMatchObject({
      sub: CLAIMS.agentId,
      company_id: CLAIMS.companyId,
      run_id: CLAIMS.runId,
      adapter_type: "process",
    });
  });

  it("different secrets give different signatures", () => {
    expect(signAgentJwt(CLAIMS, "a", 60, NOW).split(".")[2]).not.toBe(signAgentJwt(CLAIMS, "b", 60, NOW).split(".")[2]);
  });
});

describe("verifyAgentJwt: expiry boundary", () => {
  const token = signAgentJwt(CLAIMS, SECRET, 60, NOW);
  const expMs = NOW + 60_000;

  it.each([
    ["at issue time", NOW, true],
    ["1 ms before exp", expMs - 1, true],
    ["exactly at exp", expMs, false],
    ["1 ms after exp", expMs + 1, false],
    ["an hour after exp", expMs + 3_600_000, false],
  ])("%s -> ok=%s", (_label, now, ok) => {
    const result = verifyAgentJwt(token, SECRET, now);
    expect(result.ok).toBe(ok);
    if (!result.ok) expect(result.reason).toBe("token expired");
  });

  it("a zero ttl token is already expired", () => {
    const result = verifyAgentJwt(signAgentJwt(CLAIMS, SECRET, 0, NOW), SECRET, NOW);
    expect(result).toEqual({ ok: false, reason: "token expired" });
  });
});

describe("verifyAgentJwt: rejected tokens", () => {
  const good = signAgentJwt(CLAIMS, SECRET, 600, NOW);
  const [gh, gp, gs] = good.split(".") as [string, string, string];
  const flipFirst = (s: string) => (s[0] === "A" ? "B" : "A") + s.slice(1);

  const cases: Array<[string, string, string]> = [
    ["empty string", "", "malformed token"],
    ["one part", gh, "malformed token"],
    ["two parts", `${gh}.${gp}`, "malformed token"],
    ["four parts", `${good}.x`, "malformed token"],
    ["header is not JSON", `${b64("not json")}.${gp}.${gs}`, "malformed token"],
    ["payload is not JSON", `${gh}.${b64("{nope")}.${gs}`, "malformed token"],
    ["header is JSON null", forge(null, validPayload()), "unsupported algorithm"],
    ["alg none, no signature", `${b64({ alg: "none", typ: "JWT" })}.${gp}.`, "unsupported algorithm"],
    ["alg none, original signature", `${b64({ alg: "none", typ: "JWT" })}.${gp}.${gs}`, "unsupported algorithm"],
    ["alg 'None' (case games)", forge({ alg: "None", typ: "JWT" }, validPayload()), "unsupported algorithm"],
    ["alg HS512", forge({ alg: "HS512", typ: "JWT" }, validPayload()), "unsupported algorithm"],
    ["alg RS256", forge({ alg: "RS256", typ: "JWT" }, validPayload()), "unsupported algorithm"],
    ["header without alg", forge({ typ: "JWT" }, validPayload()), "unsupported algorithm"],
    ["signed with another secret", signAgentJwt(CLAIMS, "other-secret", 600, NOW), "bad signature"],
    ["empty signature", `${gh}.${gp}.`, "bad signature"],
    ["signature first char changed", `${gh}.${gp}.${flipFirst(gs)}`, "bad signature"],
    ["signature truncated", `${gh}.${gp}.${gs.slice(0, -4)}`, "bad signature"],
    ["signature doubled", `${gh}.${gp}.${gs}${gs}`, "bad signature"],
    [
      "payload swapped for another agent, old signature",
      `${gh}.${b64(validPayload({ sub: "44444444-4444-4444-8444-444444444444" }))}.${gs}`,
      "bad signature",
    ],
    ["payload with exp pushed out, old signature", `${gh}.${b64(validPayload({ exp: 4_000_000_000 }))}.${gs}`, "bad signature"],
    [
      "payload with another run, old signature",
      `${gh}.${b64(validPayload({ run_id: "55555555-5555-4555-8555-555555555555" }))}.${gs}`,
      "bad signature",
    ],
    ["header re-encoded with extra field, old signature", `${b64({ alg: "HS256", typ: "JWT", kid: "x" })}.${gp}.${gs}`, "bad signature"],
    ["wrong issuer", forge({ alg: "HS256", typ: "JWT" }, validPayload({ iss: "someone-else" })), "wrong issuer or audience"],
    ["missing issuer", forge({ alg: "HS256", typ: "JWT" }, validPayload({ iss: undefined })), "wrong issuer or audience"],
    ["wrong audience", forge({ alg: "HS256", typ: "JWT" }, validPayload({ aud: "other-api" })), "wrong issuer or audience"],
    ["audience as array", forge({ alg: "HS256", typ: "JWT" }, validPayload({ aud: ["paperclip-api"] })), "wrong issuer or audience"],
    ["exp missing", forge({ alg: "HS256", typ: "JWT" }, validPayload({ exp: undefined })), "token expired"],
    ["exp as string", forge({ alg: "HS256", typ: "JWT" }, validPayload({ exp: String(NOW / 1000 + 3600) })), "token expired"],
    ["exp in the past", forge({ alg: "HS256", typ: "JWT" }, validPayload({ exp: NOW / 1000 - 1 })), "token expired"],
    ["sub missing", forge({ alg: "HS256", typ: "JWT" }, validPayload({ sub: undefined })), "missing claim sub"],
    ["sub empty", forge({ alg: "HS256", typ: "JWT" }, validPayload({ sub: "" })), "missing claim sub"],
    ["sub a number", forge({ alg: "HS256", typ: "JWT" }, validPayload({ sub: 42 })), "missing claim sub"],
    ["company_id missing", forge({ alg: "HS256", typ: "JWT" }, validPayload({ company_id: undefined })), "missing claim company_id"],
    ["run_id missing", forge({ alg: "HS256", typ: "JWT" }, validPayload({ run_id: undefined })), "missing claim run_id"],
    ["run_id null", forge({ alg: "HS256", typ: "JWT" }, validPayload({ run_id: null })), "missing claim run_id"],
    ["adapter_type missing", forge({ alg: "HS256", typ: "JWT" }, validPayload({ adapter_type: undefined })), "missing claim adapter_type"],
  ];

  it.each(cases)("%s", (_label, token, reason) => {
    const result = verifyAgentJwt(token, SECRET, NOW);
    expect(result).toEqual({ ok: false, reason });
  });

  it.each([
    ["JSON null", null],
    ["a number", 42],
    ["a string", "hello"],
    ["an array", [1, 2]],
  ])("a correctly signed payload that is %s is rejected, never thrown", (_label, payload) => {
    const token = forge({ alg: "HS256", typ: "JWT" }, payload);
    let result: ReturnType<typeof verifyAgentJwt> | undefined;
    expect(() => (result = verifyAgentJwt(token, SECRET, NOW))).not.toThrow();
    expect(result).toEqual({ ok: false, reason: "malformed token" });
  });

  it("the unmodified token verifies (the table above tests real tampering, not a broken baseline)", () => {
    expect(verifyAgentJwt(good, SECRET, NOW).ok).toBe(true);
    expect(verifyAgentJwt(forge({ alg: "HS256", typ: "JWT" }, validPayload()), SECRET, NOW).ok).toBe(true);
  });

  it("extra unknown claims and header fields do not break a correctly signed token", () => {
    const token = forge({ alg: "HS256", typ: "JWT", kid: "k1" }, validPayload({ extra: { nested: true } }));
    expect(verifyAgentJwt(token, SECRET, NOW).ok).toBe(true);
  });
});

describe("looksLikeJwt", () => {
  it.each([
    ["a signed token", true, signAgentJwt(CLAIMS, SECRET, 60, NOW)],
    ["three base64url parts", true, "a.b.c"],
    ["an agent API key", false, `pcp_${"a".repeat(48)}`],
    ["two parts", false, "a.b"],
    ["empty signature part", false, "a.b."],
    ["four parts", false, "a.b.c.d"],
    ["standard base64 characters", false, "a+b.c/d.e="],
    ["whitespace", false, "a.b .c"],
    ["empty", false, ""],
  ])("%s -> %s", (_label, expected, token) => {
    expect(looksLikeJwt(token)).toBe(expected);
  });
});
