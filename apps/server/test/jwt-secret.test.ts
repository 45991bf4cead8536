import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveAgentJwtSecret } from "../src/auth/jwt-secret.js";
import { createTestDatabase, type TestDatabase } from "./helpers/test-db.js";

// The run-token secret: generated once and shared by every server on the database.
describe("agent JWT secret", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t.drop();
  });

  it("is generated on the first start, then read as it is; an explicit one wins", async () => {
    await t.db.query("DELETE FROM instance_settings WHERE key = 'agent_jwt_secret'");
    const first = await resolveAgentJwtSecret(t.db, undefined);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(await resolveAgentJwtSecret(t.db, undefined)).toBe(first);
    expect(await resolveAgentJwtSecret(t.db, "from-env")).toBe("from-env");
    expect(await resolveAgentJwtSecret(t.db, undefined)).toBe(first);
  });

  it("concurrent first starts agree on one secret", async () => {
    await t.db.query("DELETE FROM instance_settings WHERE key = 'agent_jwt_secret'");
    const secrets = await Promise.all(Array.from({ length: 4 }, () => resolveAgentJwtSecret(t.db, undefined)));
    expect(new Set(secrets).size).toBe(1);
  });
});
