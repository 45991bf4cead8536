import { expect } from "vitest";
import type { TestApp } from "./test-app.js";

/** Headers a browser sends with a signed-in, same-origin request. */
export const browser = (cookie: string) => ({ cookie, origin: "http://localhost", host: "localhost" });

export interface SignedInUser {
  id: string;
  cookie: string;
  /** Same-origin browser headers carrying the session cookie. */
  headers: Record<string, string>;
}

/** A request through the in-process app that returns the response headers as well. */
export async function rawCall(app: TestApp, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await app.app.request(path, {
    method,
    headers: { "content-type": "application/json", host: "localhost", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

function sessionOf(res: { status: number; headers: Headers; body: any }): SignedInUser {
  const setCookie = res.headers.get("set-cookie") ?? "";
  const cookie = /staple_session=[^;]+/.exec(setCookie)?.[0];
  expect(cookie, JSON.stringify(res.body)).toBeDefined();
  return { id: res.body.user.id, cookie: cookie!, headers: browser(cookie!) };
}

let counter = 0;
export const uniqueEmail = (who: string) => `${who}.${++counter}.${Math.random().toString(36).slice(2, 6)}@example.test`;
export const PASSWORD = "correct horse battery";

/** Signs up the instance owner with a fresh setup code. */
export async function signUpOwner(app: TestApp, email = uniqueEmail("owner")): Promise<SignedInUser> {
  const setupCode = await app.services.users.createSetupCode();
  expect(setupCode, "no user may exist yet").not.toBeNull();
  const res = await rawCall(app, "POST", "/api/auth/sign-up/email", { email, password: PASSWORD, setupCode });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return sessionOf(res);
}

/** Creates an invite as `inviter` and signs a new user up through it. */
export async function inviteAndSignUp(
  app: TestApp,
  inviter: SignedInUser | { token: string },
  companyId: string,
  role: string,
  email = uniqueEmail(role),
): Promise<SignedInUser & { email: string }> {
  const auth = "token" in inviter ? { authorization: `Bearer ${inviter.token}` } : inviter.headers;
  const invite = await rawCall(app, "POST", `/api/companies/${companyId}/invites`, { role }, auth);
  expect(invite.status, JSON.stringify(invite.body)).toBe(201);
  const res = await rawCall(app, "POST", "/api/auth/sign-up/email", { email, password: PASSWORD, inviteToken: invite.body.token });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { ...sessionOf(res), email };
}

export async function signIn(app: TestApp, email: string, password = PASSWORD) {
  const res = await rawCall(app, "POST", "/api/auth/sign-in/email", { email, password });
  return res.status === 200 ? { ...res, user: sessionOf(res) } : { ...res, user: null };
}
