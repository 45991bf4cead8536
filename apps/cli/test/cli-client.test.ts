import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpJson, startServerProcess, type ServerProcess } from "../../server/test/helpers/server-process.js";
import { freePort, NO_HOME, ok, okJson, runCli } from "./helpers/cli.js";

// One real server for the whole file; the CLI is the real binary talking to it over HTTP.
let server: ServerProcess;
let env: Record<string, string>;

beforeAll(async () => {
  server = await startServerProcess({});
  // The server's data dir: the CLI finds the board token file there by itself.
  env = { STAPLE_API_URL: server.url, STAPLE_HOME: server.home };
});

afterAll(async () => {
  await server?.stop();
});

describe("help and usage", () => {
  it("staple --help lists every command group and exits 0", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    for (const group of ["start", "board", "doctor", "company", "agent", "issue", "run", "activity"])
      expect(r.stdout).toMatch(new RegExp(`^  ${group} `, "m"));
  });

  it("staple <group> --help prints the group's usage", async () => {
    const r = await runCli(["agent", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("staple agent keys create <agent>");
    expect((await runCli(["help", "run"])).stdout).toContain("staple run log <run> [--follow]");
  });

  it("no command, an unknown command, a missing argument and an unknown option are usage errors (exit 2)", async () => {
    expect((await runCli([])).code).toBe(2);
    const unknown = await runCli(["frobnicate"], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command: frobnicate");
    const missing = await runCli(["issue", "show"], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing <issue>");
    const option = await runCli(["company", "list", "--bogus"], env);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("--bogus");
    const number = await runCli(["activity", "--limit", "ten"], env);
    expect(number.code).toBe(2);
    expect(number.stderr).toContain("--limit must be a whole number");
  });
});

describe("board credentials", () => {
  it("finds the board token file in the server's data dir by itself (STAPLE_HOME, or --home)", async () => {
    expect(await okJson<any[]>(["company", "list"], env)).toEqual([]);
    const r = await runCli(["company", "list", "--home", server.home, "--json"], { STAPLE_API_URL: server.url });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it("without any credential: exit 1, and a hint naming the token file and --api-key", async () => {
    const r = await runCli(["company", "list"], { STAPLE_API_URL: server.url });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("(HTTP 401, authentication_required)");
    expect(r.stderr).toContain(`No credential was sent (${path.join(NO_HOME, "board-token")} does not exist)`);
    expect(r.stderr).toContain("--api-key <key> or STAPLE_API_KEY");
  });

  it("a token file from another data dir is refused, and the hint says so", async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), "staple-cli-other-home-"));
    fs.writeFileSync(path.join(other, "board-token"), `stb_${"0".repeat(48)}\n`, { mode: 0o600 });
    const r = await runCli(["company", "list"], { STAPLE_API_URL: server.url, STAPLE_HOME: other });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("(HTTP 401, invalid_board_key)");
    expect(r.stderr).toContain(`The board token in ${path.join(other, "board-token")} was refused by ${server.url}`);
    fs.rmSync(other, { recursive: true, force: true });
  });

  it("staple board prints a one-time login link: it redeems once into a session cookie", async () => {
    const r = await runCli(["board"], env);
    expect(r.code, r.stderr).toBe(0);
    const link = r.stdout.trim();
    expect(link).toMatch(new RegExp(`^${server.url}/api/board/login\\?code=[A-Za-z0-9_-]+$`));
    expect(r.stderr).toContain("Open this link in your browser to sign in to the board (works once");
    const res = await fetch(link, { redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^staple_session=[^;]+;/);
    expect(setCookie).toMatch(/HttpOnly/i);
    const session = await fetch(`${server.url}/api/auth/get-session`, { headers: { cookie: setCookie.split(";")[0]! } });
    expect(session.status).toBe(200);
    expect(await session.json()).toMatchObject({ session: { source: "session" } });
    expect((await fetch(link, { redirect: "manual" })).status).toBe(401); // used
    const json = await okJson(["board"], env);
    expect(json.url).toMatch(/\/api\/board\/login\?code=/);
    expect(Number.isNaN(Date.parse(json.expiresAt))).toBe(false);
  });

  it("staple board --open without a browser opener still prints the link and exits 0", async () => {
    const emptyBin = fs.mkdtempSync(path.join(os.tmpdir(), "staple-cli-no-opener-"));
    const r = await runCli(["board", "--open"], { ...env, PATH: emptyBin });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\/api\/board\/login\?code=/);
    expect(r.stderr).toContain("xdg-open is not available here: open the link above yourself.");
    fs.rmSync(emptyBin, { recursive: true, force: true });
  });
});

describe("companies", () => {
  it("company list says there are none, then create + list show the company (table and --json)", async () => {
    expect(await ok(["company", "list"], env)).toContain("No companies yet");
    const created = await ok(["company", "create", "Acme", "Robotics", "--description", "We build robots"], env);
    expect(created).toMatch(/^Created company Acme Robotics \(prefix ACM\): [0-9a-f-]{36}$/m);
    const table = await ok(["company", "list"], env);
    const [header, row] = table.trimEnd().split("\n");
    expect(header).toMatch(/^ID\s+PREFIX\s+NAME\s+STATUS/);
    expect(row).toMatch(/^[0-9a-f-]{36}\s+ACM\s+Acme Robotics\s+active/);
    const json = await okJson<any[]>(["company", "list"], env);
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ name: "Acme Robotics", issuePrefix: "ACM", description: "We build robots" });
  });

  it("company create without a name is a usage error; a server-side validation error shows the server's message", async () => {
    expect((await runCli(["company", "create"], env)).code).toBe(2);
    const r = await runCli(["company", "create", "X", "--budget-cents", "12", "--description", "x".repeat(10_001)], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Validation error (HTTP 400)");
    expect(r.stderr).toContain("- description:");
  });
});

describe("agents", () => {
  it("agent create (process adapter, command after --) and agent list (table and --json)", async () => {
    const out = await ok(["agent", "create", "Echo Bot", "--role", "engineer", "--title", "Echoer", "--", "/bin/echo", "hi there"], env);
    expect(out).toMatch(/^Created agent Echo Bot \(engineer, process, idle\): [0-9a-f-]{36}$/m);
    const agents = await okJson<any[]>(["agent", "list"], env);
    expect(agents).toHaveLength(1);
    expect(agents[0]).toMatchObject({
      name: "Echo Bot",
      role: "engineer",
      title: "Echoer",
      adapterType: "process",
      adapterConfig: { command: "/bin/echo", args: ["hi there"] },
    });
    const table = await ok(["agent", "list"], env);
    expect(table).toMatch(/^ID\s+NAME\s+ROLE\s+STATUS\s+ADAPTER/);
    expect(table).toMatch(/Echo Bot\s+engineer\s+idle\s+process/);
  });

  it("agent create with --command/--arg and --config, reporting to an agent given by name", async () => {
    const agent = await okJson(
      [
        "agent",
        "create",
        "Helper",
        "--command",
        "/bin/sh",
        "--arg=-c",
        "--arg",
        "exit 0",
        "--config",
        '{"timeoutSec":5}',
        "--reports-to",
        "echo bot",
      ],
      env,
    );
    const boss = (await okJson<any[]>(["agent", "list"], env)).find((a) => a.name === "Echo Bot");
    expect(agent).toMatchObject({
      name: "Helper",
      reportsTo: boss.id,
      adapterConfig: { command: "/bin/sh", args: ["-c", "exit 0"], timeoutSec: 5 },
    });
  });

  it("agent create with an invalid role fails with the server's validation message", async () => {
    const r = await runCli(["agent", "create", "Bad", "--role", "overlord", "--", "/bin/true"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Validation error \(HTTP 400\)\n {2}- role: /);
  });

  it("agent pause / wake refused while paused / resume / wake", async () => {
    const paused = await ok(["agent", "pause", "Echo Bot"], env);
    expect(paused).toContain("Agent Echo Bot is now paused.");
    const refused = await runCli(["agent", "wake", "Echo Bot"], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("Agent is not invokable in its current state (HTTP 409, agent_not_invokable)");
    expect(await ok(["agent", "resume", "echo-bot"], env)).toContain("Agent Echo Bot is now idle.");
    const woke = await ok(["agent", "wake", "Echo Bot", "--reason", "cli test"], env);
    expect(woke).toMatch(/^Run [0-9a-f-]{36} (queued|running|succeeded)\. Follow it: staple run log [0-9a-f-]{36} --follow$/m);
  });

  it("agent keys: none, create (token printed once), list, and the token works as --api-key / STAPLE_API_KEY", async () => {
    expect(await ok(["agent", "keys", "Echo Bot"], env)).toContain("No API keys");
    const created = await runCli(["agent", "keys", "create", "Echo Bot", "--name", "laptop"], env);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^pcp_[0-9a-f]+$/);
    expect(created.stderr).toContain('Created API key "laptop"');
    const list = await ok(["agent", "keys", "list", "Echo Bot"], env);
    expect(list).toMatch(/^ID\s+NAME\s+CREATED\s+LAST USED\s+REVOKED/);
    expect(list).toMatch(/laptop/);
    expect(list).not.toContain(token);
    const keys = await okJson<any[]>(["agent", "keys", "Echo Bot"], env);
    expect(keys.map((k) => k.name)).toEqual(["laptop"]);
    // As the agent: the bearer token is sent (an agent may not list keys, which is board-only).
    const asAgent = await runCli(["agent", "keys", "Echo Bot", "--api-key", token], env);
    expect(asAgent.code).toBe(1);
    expect(asAgent.stderr).toContain("HTTP 403");
    expect(await okJson<any[]>(["company", "list"], { ...env, STAPLE_API_KEY: token })).toHaveLength(1);
    const bogus = await runCli(["company", "list", "--api-key", "pcp_nope"], env);
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toContain("Invalid bearer token (HTTP 401, invalid_token)");
  });

  it("an unknown agent name lists the agents", async () => {
    const r = await runCli(["agent", "pause", "Nobody"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no agent named "Nobody"');
    expect(r.stderr).toContain("Echo Bot");
  });
});

describe("issues", () => {
  it("issue create / list (table, --json, filters)", async () => {
    expect(
      await ok(["issue", "create", "Write", "the", "docs", "--priority", "high", "--description", "Line one\nline two"], env),
    ).toContain("Created ACM-1 (backlog, high): Write the docs");
    expect(await ok(["issue", "create", "Second issue", "--status", "todo"], env)).toContain("Created ACM-2 (todo, medium): Second issue");
    const table = await ok(["issue", "list"], env);
    expect(table).toMatch(/^ISSUE\s+STATUS\s+PRIORITY\s+ASSIGNEE\s+UPDATED\s+TITLE/);
    expect(table).toMatch(/ACM-1\s+backlog\s+high\s+-\s+\S+ \S+\s+Write the docs/);
    const todo = await okJson<any[]>(["issue", "list", "--status", "todo"], env);
    expect(todo.map((i) => i.identifier)).toEqual(["ACM-2"]);
  });

  it("issue comment / assign / show", async () => {
    expect(await ok(["issue", "comment", "ACM-1", "Please", "start", "with", "the", "README"], env)).toMatch(
      /^Commented on ACM-1: [0-9a-f-]{36}$/m,
    );
    const assigned = await ok(["issue", "assign", "acm-1", "Helper"], env);
    expect(assigned).toMatch(/^Assigned ACM-1 to Helper/m);
    const issue = await okJson(["issue", "show", "ACM-1"], env);
    const helper = (await okJson<any[]>(["agent", "list"], env)).find((a) => a.name === "Helper");
    expect(issue).toMatchObject({ identifier: "ACM-1", title: "Write the docs", assigneeAgentId: helper.id, priority: "high" });
    const shown = await ok(["issue", "show", "ACM-1"], env);
    expect(shown).toMatch(/^Issue:\s+ACM-1 {2}Write the docs$/m);
    expect(shown).toMatch(/^Assignee:\s+Helper \(/m);
    expect(shown).toContain("Line one\nline two");
    expect(shown).toMatch(/Comments \(\d+\):/);
    expect(shown).toContain("Please start with the README");
    const mine = await okJson<any[]>(["issue", "list", "--assignee", "Helper"], env);
    expect(mine.map((i) => i.identifier)).toEqual(["ACM-1"]);
    expect(await ok(["issue", "assign", "ACM-2", "none"], env)).toContain("Unassigned ACM-2");
  });

  it("D14: escape sequences in agent-written text never reach the terminal; --json stays exact", async () => {
    const title = "Harmless \u001b]52;c;ZWNobyBwd25lZA==\u0007\u001b[8mhidden\u001b[0m";
    const companyId = (await okJson<any[]>(["company", "list"], env))[0].id;
    const created = await httpJson(server.url, "POST", `/api/companies/${companyId}/issues`, {
      title,
      description: "line \u001b[2Jone\r\nline\u009b31m two\u202e",
    });
    expect(created.status).toBe(201);
    const table = await runCli(["issue", "list"], env);
    expect(table.code).toBe(0);
    expect(table.stdout).not.toContain("\u001b");
    expect(table.stdout).not.toContain("\u0007");
    expect(table.stdout).toMatch(new RegExp(`^${created.body.identifier}\\s.*\\sHarmless hidden$`, "m"));
    const shown = await ok(["issue", "show", created.body.identifier], env);
    expect(shown).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(shown).toMatch(/^Issue:\s+\S+ {2}Harmless hidden$/m);
    expect(shown).toContain("line one\nline two");
    // JSON: the exact title, escaped by JSON itself (no raw ESC byte on the terminal either).
    const json = await runCli(["issue", "list", "--json"], env);
    expect(json.stdout).not.toContain("\u001b");
    expect(json.stdout).toContain("\\u001b]52;c;");
    expect((JSON.parse(json.stdout) as any[]).find((i) => i.id === created.body.id).title).toBe(title);
    const detail = JSON.parse((await runCli(["issue", "show", created.body.identifier, "--json"], env)).stdout);
    expect(detail.description).toBe("line \u001b[2Jone\r\nline\u009b31m two\u202e");
  });

  it("an unknown issue is the server's 404", async () => {
    const r = await runCli(["issue", "show", "ACM-999"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Issue not found (HTTP 404)");
  });
});

describe("activity", () => {
  it("lists the audit trail newest first (table and --json, filters)", async () => {
    const entries = await okJson<any[]>(["activity", "--limit", "200"], env);
    const actions = entries.map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        "company.created",
        "agent.created",
        "agent.paused",
        "agent.resumed",
        "issue.created",
        "issue.comment_added",
        "agent.key_created",
      ]),
    );
    expect(Date.parse(entries[0].createdAt)).toBeGreaterThanOrEqual(Date.parse(entries[entries.length - 1].createdAt));
    const table = await ok(["activity", "--limit", "3"], env);
    const lines = table.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^TIME\s+ACTOR\s+ACTION\s+ENTITY\s+RUN$/);
    expect(lines).toHaveLength(4);
    const issueOnly = await okJson<any[]>(["activity", "--entity-type", "issue"], env);
    expect(issueOnly.length).toBeGreaterThan(0);
    expect(new Set(issueOnly.map((e) => e.entityType))).toEqual(new Set(["issue"]));
  });
});

describe("company scope and errors", () => {
  it("an unknown company id fails with the server's message", async () => {
    const r = await runCli(["agent", "list", "--company", "00000000-0000-4000-8000-000000000000"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Company not found (HTTP 404)");
    const byEnv = await runCli(["issue", "list"], { ...env, STAPLE_COMPANY_ID: "00000000-0000-4000-8000-000000000000" });
    expect(byEnv.code).toBe(1);
    expect(byEnv.stderr).toContain("Company not found");
  });

  it("an unreachable --api fails naming the URL", async () => {
    const port = await freePort();
    const r = await runCli(["company", "list", "--api", `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`could not reach the Staple server at http://127.0.0.1:${port}/api/companies (ECONNREFUSED)`);
    const malformed = await runCli(["company", "list", "--api", "not a url"]);
    expect(malformed.code).toBe(2);
  });

  it("a server that is not Staple: a non-JSON answer is reported as such, a text error page is quoted", async () => {
    // A loopback stand-in: 200 with an HTML page for /api/companies, 502 with plain text elsewhere.
    const fake = http.createServer((req, res) => {
      if (req.url === "/api/companies") {
        res.writeHead(200, { "content-type": "text/html" }).end("<html>welcome</html>");
      } else {
        res.writeHead(502, { "content-type": "text/plain" }).end("Bad gateway");
      }
    });
    await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
    const api = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    try {
      const html = await runCli(["company", "list", "--api", api, "--api-key", "k"]);
      expect(html.code).toBe(1);
      expect(html.stderr).toBe(`staple: the server at ${api} did not answer with JSON (is it a Staple server?)\n`);
      const text = await runCli(["board", "--api", api, "--api-key", "k"]);
      expect(text.code).toBe(1);
      expect(text.stderr).toBe("staple: Bad gateway (HTTP 502)\n");
    } finally {
      await new Promise((resolve) => fake.close(resolve));
    }
  });

  it("with several companies, a company-scoped command without --company lists them; --company takes an id, prefix or name", async () => {
    await ok(["company", "create", "Beta Corp"], env);
    const r = await runCli(["issue", "list"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("there are 2 companies; choose one with --company <id> or STAPLE_COMPANY_ID");
    expect(r.stderr).toMatch(/ACM\s+Acme Robotics/);
    expect(r.stderr).toMatch(/BET\s+Beta Corp/);
    expect(await okJson<any[]>(["issue", "list", "--company", "ACM"], env)).toHaveLength(3); // ACM-1, ACM-2 and the D14 issue
    expect(await okJson<any[]>(["issue", "list", "--company", "beta corp"], env)).toHaveLength(0);
    const none = await runCli(["issue", "list", "--company", "ZZZ"], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no company matches "ZZZ"');
  });
});
