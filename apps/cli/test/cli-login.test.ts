import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServerProcess, type ServerProcess } from "../../server/test/helpers/server-process.js";
import { runCli, STAPLE_BIN } from "./helpers/cli.js";

// `staple login` / `staple logout` against a real server in authenticated mode: the CLI prints an
// approval link, a signed-in member approves it, the CLI saves the key (0600) and then works as
// that member (their company only); logout revokes the key.
let server: ServerProcess;
let cliHome: string;
let memberCookie: string;
let companyId: string;

async function http(method: string, url: string, body: unknown, headers: Record<string, string>) {
  const res = await fetch(url, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

beforeAll(async () => {
  server = await startServerProcess({ STAPLE_DEPLOYMENT_MODE: "authenticated" });
  cliHome = fs.mkdtempSync(path.join(os.tmpdir(), "staple-cli-login-"));
  const board = { authorization: `Bearer ${server.boardToken}` };
  const mine = await http("POST", `${server.url}/api/companies`, { name: "Login Co" }, board);
  await http("POST", `${server.url}/api/companies`, { name: "Other Co" }, board);
  companyId = mine.body.id;
  const invite = await http("POST", `${server.url}/api/companies/${companyId}/invites`, { role: "member" }, board);
  const signUp = await http(
    "POST",
    `${server.url}/api/auth/sign-up/email`,
    { email: "cli@example.test", password: "correct horse battery", inviteToken: invite.body.token },
    {},
  );
  expect(signUp.status).toBe(201);
  memberCookie = /staple_session=[^;]+/.exec(signUp.headers.get("set-cookie")!)![0];
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (cliHome) fs.rmSync(cliHome, { recursive: true, force: true });
});

describe("staple login / logout", () => {
  it("prints a link, waits for approval, saves the key (0600) and then acts as the member", async () => {
    const env = { ...process.env, STAPLE_API_URL: server.url, STAPLE_HOME: cliHome, STAPLE_API_KEY: "" };
    const child = spawn(process.execPath, [STAPLE_BIN, "login"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    const link = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no link printed: ${stdout} ${stderr}`)), 20_000);
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        const m = /(http\S+\/cli-auth\/\S+)/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    const url = new URL(link);
    const id = url.pathname.split("/").pop()!;
    const approve = await http(
      "POST",
      `${server.url}/api/cli-auth/challenges/${id}/approve`,
      { token: url.searchParams.get("token") },
      {
        cookie: memberCookie,
        origin: server.url,
      },
    );
    expect(approve.status, JSON.stringify(approve.body)).toBe(200);
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    expect(await exited, stderr).toBe(0);
    clearTimeout(timer);
    expect(stderr).toContain("Signed in to");
    expect(stderr).toContain("cli@example.test");
    const file = path.join(cliHome, "cli-credentials.json");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);

    const companies = await runCli(["company", "list", "--json"], { STAPLE_API_URL: server.url, STAPLE_HOME: cliHome });
    expect(companies.code, companies.stderr).toBe(0);
    expect(JSON.parse(companies.stdout).map((c: { id: string }) => c.id)).toEqual([companyId]);

    const saved = JSON.parse(fs.readFileSync(file, "utf8")).servers[server.url].apiKey as string;
    expect((await http("GET", `${server.url}/api/auth/me`, undefined, { authorization: `Bearer ${saved}` })).status).toBe(200);
    const out = await runCli(["logout"], { STAPLE_API_URL: server.url, STAPLE_HOME: cliHome });
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).servers).toEqual({});
    // Revoked on the server, not only forgotten.
    expect((await http("GET", `${server.url}/api/auth/me`, undefined, { authorization: `Bearer ${saved}` })).status).toBe(401);
  }, 60_000);
});
