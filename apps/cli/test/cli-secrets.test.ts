import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerProcess, type ServerProcess } from "../../server/test/helpers/server-process.js";
import { ok, okJson, runCli } from "./helpers/cli.js";

// `staple secret list|set|grant|revoke` against a real server: values go in, never come back out.
let server: ServerProcess;
let env: Record<string, string>;
let dir: string;
const VALUE = "cli-secret-VALUE-0123456789";

beforeAll(async () => {
  server = await startServerProcess({});
  env = { STAPLE_API_URL: server.url, STAPLE_HOME: server.home };
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "staple-cli-secrets-"));
  await ok(["company", "create", "Vault", "Co"], env);
  await ok(["agent", "create", "Deployer", "--", "/bin/true"], env);
});

afterAll(async () => {
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("staple secret", () => {
  it("set creates from a file, set again rotates, grant/revoke change the grants; list and --json never print the value", async () => {
    const file = path.join(dir, "value.txt");
    fs.writeFileSync(file, `${VALUE}\n`);
    const created = await ok(["secret", "set", "DEPLOY_TOKEN", "--value-file", file], env);
    expect(created).toMatch(/^Created secret DEPLOY_TOKEN \(version 1, hmac-sha256:[0-9a-f]{16}\): [0-9a-f-]{36}$/m);

    fs.writeFileSync(file, `${VALUE}-2\n`);
    const rotated = await ok(["secret", "set", "DEPLOY_TOKEN", "--value-file", file], env);
    expect(rotated).toMatch(/^Rotated secret DEPLOY_TOKEN \(version 2, /m);

    expect(await ok(["secret", "grant", "DEPLOY_TOKEN", "Deployer"], env)).toContain("Granted DEPLOY_TOKEN to agent Deployer");
    const table = await ok(["secret", "list"], env);
    expect(table).toMatch(/^KEY\s+VALUE\s+VERSION\s+FINGERPRINT\s+GRANTED TO\s+UPDATED/m);
    expect(table).toMatch(/DEPLOY_TOKEN\s+\*{8}\s+2\s+hmac-sha256:[0-9a-f]{16}\s+Deployer/);
    const json = await okJson<{ key: string; grantedAgentIds: string[] }[]>(["secret", "list"], env);
    expect(json).toHaveLength(1);
    expect(json[0]!.grantedAgentIds).toHaveLength(1);
    for (const text of [created, rotated, table, JSON.stringify(json)]) expect(text).not.toContain(VALUE);

    expect(await ok(["secret", "revoke", "DEPLOY_TOKEN", "Deployer"], env)).toContain("Revoked DEPLOY_TOKEN from agent Deployer");
    expect((await okJson<{ grantedAgentIds: string[] }[]>(["secret", "list"], env))[0]!.grantedAgentIds).toEqual([]);
  });

  it("usage errors (no value, both values, empty file) exit 2 before any request; an unknown key exits 1 naming it", async () => {
    const none = await runCli(["secret", "set", "X"], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("give exactly one of --value-file <path> or --value <text>");
    expect((await runCli(["secret", "set", "X", "--value", "a", "--value-file", "f"], env)).code).toBe(2);
    const empty = path.join(dir, "empty.txt");
    fs.writeFileSync(empty, "\n");
    const emptyRun = await runCli(["secret", "set", "X", "--value-file", empty], env);
    expect(emptyRun.code).toBe(2);
    expect(emptyRun.stderr).toContain("is empty");
    const unknown = await runCli(["secret", "grant", "NOPE", "Deployer"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No secret with key "NOPE"');
  });
});
