import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpJson, startServerProcess, type ServerProcess } from "../apps/server/test/helpers/server-process.js";

/**
 * The Paperclip compatibility lane: the real `paperclipai` CLI, in the versions compat/install.sh
 * puts in .compat-cache/, driven against a built Staple server on a temporary home. The board token
 * goes through the CLI's own `--api-key` option; an agent key minted by the CLI does the agent-side
 * commands. Every command must exit 0 and its `--json` output must show the expected data. Each
 * version's commands and results are written to test-artifacts/compat/ and printed at the end.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CACHE = process.env.COMPAT_CACHE ?? path.join(ROOT, ".compat-cache");
/** Node 24 from compat/install.sh: paperclipai 2026.916.1 needs Node >= 24.11 (the lane runs on Node 20). */
export const NODE24 = path.join(CACHE, "node-24.21.0/node_modules", `node-${process.platform}-${process.arch}`, "bin/node");

/** The card the agent opens from inside its heartbeat (the shape Paperclip's skill documents). */
const CONFIRMATION = {
  kind: "request_confirmation",
  title: "Ship it?",
  payload: { version: 1, prompt: "Ship the compat build?", acceptLabel: "Ship", rejectLabel: "Not yet" },
};

interface Ran {
  command: string;
  exitCode: number;
  ms: number;
}

/**
 * One CLI version's scenario, in its own test file (the two files run in parallel, each with its own
 * server). `node` is the Node binary that runs that CLI.
 */
export function cliScenario(version: string, node: string, features: { sendsAllowDuplicate: boolean }) {
  const main = path.join(CACHE, `paperclipai-${version}`, "node_modules/paperclipai/dist/index.js");
  for (const file of [main, node]) {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run compat/install.sh first`);
  }
  let server: ServerProcess;
  const log: Ran[] = [];

  beforeAll(async () => {
    server = await startServerProcess({});
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    const dir = path.join(ROOT, "test-artifacts/compat");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `paperclipai-${version}.json`), `${JSON.stringify(log, null, 2)}\n`);
    const failed = log.filter((r) => r.exitCode !== 0).length;
    console.log(
      `paperclipai ${version}: ${log.length} commands, ${failed} failed\n  ${log.map((r) => `${r.exitCode === 0 ? "ok " : "ERR"} ${r.command}`).join("\n  ")}`,
    );
  }, 60_000);

  describe.sequential(`paperclipai ${version}`, () => {
    // The CLI keeps profiles and stored board logins under HOME: a private one per version, so
    // nothing on the machine (or a previous version) leaks into the run.
    const home = fs.mkdtempSync(path.join(os.tmpdir(), `staple-compat-${version}-`));

    /** Runs one CLI command; `--json` output is parsed. Fails the test on a non-zero exit. */
    async function cli(args: string[], opts: { apiKey?: string; json?: boolean } = {}): Promise<any> {
      const json = opts.json ?? true;
      const full = [
        ...args,
        "--api-base",
        server.url,
        "--api-key",
        opts.apiKey ?? server.boardToken,
        "--context",
        path.join(home, "context.json"),
        ...(json ? ["--json"] : []),
      ];
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? "",
        HOME: home,
        PAPERCLIP_TELEMETRY_DISABLED: "1",
        DO_NOT_TRACK: "1",
        PAPERCLIP_UPDATE_CHECK: "0",
        NO_COLOR: "1",
      };
      const started = Date.now();
      const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(node, [main, ...full], { env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        });
      });
      // The log names the command, never the credential.
      log.push({
        command: [
          "paperclipai",
          ...args,
          ...(opts.apiKey ? ["--api-key <agent key>"] : ["--api-key <board token>"]),
          ...(json ? ["--json"] : []),
        ].join(" "),
        exitCode: result.code,
        ms: Date.now() - started,
      });
      if (result.code !== 0)
        throw new Error(`paperclipai ${args.join(" ")} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
      return json ? JSON.parse(result.stdout) : result.stdout;
    }

    const s: Record<string, any> = {};
    // Generous per step: each command starts a CLI process (about a second of CPU for 2026.916.1).
    const T = 180_000;

    it(
      "health and whoami as the board",
      async () => {
        expect(await cli(["health"])).toMatchObject({ status: "ok" });
        expect(await cli(["whoami"])).toMatchObject({ user: { id: expect.any(String) } });
      },
      T,
    );

    it(
      "creates, lists and gets a company",
      async () => {
        const company = await cli([
          "company",
          "create",
          "--payload-json",
          JSON.stringify({ name: `Compat ${version}`, description: "driven by the real CLI" }),
        ]);
        expect(company).toMatchObject({ name: `Compat ${version}`, status: "active" });
        expect(company.issuePrefix).toMatch(/^[A-Z]+$/);
        s.company = company;
        const list = await cli(["company", "list"]);
        expect(list.map((c: any) => c.id)).toContain(company.id);
        expect(await cli(["company", "get", company.id])).toMatchObject({ id: company.id, name: company.name });
      },
      T,
    );

    it(
      "creates, lists and gets agents; wakes one by its url key; pauses and resumes it",
      async () => {
        const payload = {
          name: "Compat Builder",
          role: "engineer",
          adapterType: "process",
          adapterConfig: { command: process.execPath, args: ["-e", "0"] },
        };
        const agent = await cli(["agent", "create", "-C", s.company.id, "--payload-json", JSON.stringify(payload)]);
        expect(agent).toMatchObject({ name: "Compat Builder", role: "engineer", adapterType: "process", status: "idle" });
        s.agent = agent;
        expect((await cli(["agent", "list", "-C", s.company.id])).map((a: any) => a.id)).toContain(agent.id);
        expect(await cli(["agent", "get", agent.id])).toMatchObject({ id: agent.id, name: "Compat Builder" });
        const run = await cli(["agent", "wake", agent.urlKey, "-C", s.company.id, "--reason", "compat poke"]);
        expect(run).toMatchObject({ agentId: agent.id, invocationSource: "on_demand" });
        expect(await cli(["agent", "pause", agent.id])).toMatchObject({ id: agent.id, status: "paused" });
        const resumed = await cli(["agent", "resume", agent.id]);
        expect(resumed.id).toBe(agent.id);
        expect(resumed.status).not.toBe("paused");
        expect(await cli(["agent", "configuration", agent.id])).toMatchObject({ id: agent.id, adapterType: "process" });
        expect(await cli(["org", "get", "-C", s.company.id])).toEqual(expect.arrayContaining([expect.objectContaining({ id: agent.id })]));
      },
      T,
    );

    it(
      "hires an agent through a board approval when the company requires one",
      async () => {
        const updated = await cli([
          "company",
          "update",
          s.company.id,
          "--payload-json",
          JSON.stringify({ requireBoardApprovalForNewAgents: true }),
        ]);
        expect(updated.requireBoardApprovalForNewAgents).toBe(true);
        const hire = await cli([
          "agent",
          "hire",
          "-C",
          s.company.id,
          "--payload-json",
          JSON.stringify({
            name: "Compat Reviewer",
            role: "qa",
            adapterType: "process",
            adapterConfig: { command: process.execPath, args: ["-e", "0"] },
          }),
        ]);
        expect(hire.agent).toMatchObject({ name: "Compat Reviewer", status: "pending_approval" });
        expect(hire.approval).toMatchObject({ type: "hire_agent", status: "pending" });
        const pending = await cli(["approval", "list", "-C", s.company.id, "--status", "pending"]);
        expect(pending.map((a: any) => a.id)).toContain(hire.approval.id);
        expect(await cli(["approval", "approve", hire.approval.id, "--decision-note", "welcome"])).toMatchObject({
          id: hire.approval.id,
          status: "approved",
        });
        expect((await cli(["agent", "get", hire.agent.id])).status).not.toBe("pending_approval");
        s.reviewer = hire.agent;
      },
      T,
    );

    it(
      "creates, lists and gets issues by identifier; comments; updates status and assignee",
      async () => {
        const issue = await cli([
          "issue",
          "create",
          "-C",
          s.company.id,
          "--title",
          "Compat first task",
          "--description",
          "made by paperclipai",
          "--priority",
          "high",
        ]);
        expect(issue).toMatchObject({ title: "Compat first task", priority: "high", identifier: `${s.company.issuePrefix}-1` });
        s.issue = issue;
        const second = await cli([
          "issue",
          "create",
          "-C",
          s.company.id,
          "--title",
          "Compat child",
          "--status",
          "todo",
          "--parent-id",
          issue.id,
        ]);
        expect(second).toMatchObject({ parentId: issue.id, status: "todo" });
        const list = await cli(["issue", "list", "-C", s.company.id]);
        expect(list.map((i: any) => i.identifier).sort()).toEqual([issue.identifier, second.identifier].sort());
        const matched = await cli(["issue", "list", "-C", s.company.id, "--match", "first task"]);
        expect(matched.map((i: any) => i.id)).toEqual([issue.id]);
        const todo = await cli(["issue", "list", "-C", s.company.id, "--status", "todo"]);
        expect(todo.map((i: any) => i.id)).toEqual([second.id]);
        expect(await cli(["issue", "get", issue.identifier])).toMatchObject({ id: issue.id, description: "made by paperclipai" });
        const comment = await cli(["issue", "comment", issue.identifier, "--body", "first words from the CLI"]);
        expect(comment).toMatchObject({ issueId: issue.id, body: "first words from the CLI" });
        expect((await cli(["issue", "comments", issue.identifier])).map((c: any) => c.body)).toContain("first words from the CLI");
        const updated = await cli([
          "issue",
          "update",
          issue.identifier,
          "--status",
          "todo",
          "--assignee-agent-id",
          s.agent.id,
          "--comment",
          "over to you",
        ]);
        expect(updated).toMatchObject({ id: issue.id, status: "todo", assigneeAgentId: s.agent.id });
        expect((await cli(["issue", "comments", issue.identifier])).map((c: any) => c.body)).toContain("over to you");
        const blocked = await cli(["issue", "update", second.identifier, "--status", "blocked", "--priority", "low"]);
        expect(blocked).toMatchObject({ status: "blocked", priority: "low" });
        expect((await cli(["issue", "list", "-C", s.company.id, "--assignee-agent-id", s.agent.id])).map((i: any) => i.id)).toEqual([
          issue.id,
        ]);
        if (features.sendsAllowDuplicate) {
          // This CLI sends allowDuplicate: false: the same open title again answers the existing issue.
          const again = await cli(["issue", "create", "-C", s.company.id, "--title", "  compat FIRST   task ", "--priority", "low"]);
          expect(again).toMatchObject({ id: issue.id, identifier: issue.identifier, deduplicated: true, priority: "high" });
        }
      },
      T,
    );

    it(
      "creates an approval linked to an issue, lists it, rejects one and approves another",
      async () => {
        const approval = await cli([
          "approval",
          "create",
          "-C",
          s.company.id,
          "--type",
          "approve_ceo_strategy",
          "--payload",
          JSON.stringify({ plan: "ship the compat lane" }),
          "--issue-ids",
          s.issue.id,
        ]);
        expect(approval).toMatchObject({ type: "approve_ceo_strategy", status: "pending", payload: { plan: "ship the compat lane" } });
        expect((await cli(["approval", "list", "-C", s.company.id])).map((a: any) => a.id)).toContain(approval.id);
        expect((await cli(["issue", "approvals", s.issue.identifier])).map((a: any) => a.id)).toContain(approval.id);
        expect(await cli(["approval", "comment", approval.id, "--body", "why now?"])).toMatchObject({
          approvalId: approval.id,
          body: "why now?",
        });
        expect(await cli(["approval", "reject", approval.id, "--decision-note", "not yet"])).toMatchObject({
          id: approval.id,
          status: "rejected",
          decisionNote: "not yet",
        });
        expect(await cli(["approval", "get", approval.id])).toMatchObject({ status: "rejected" });

        const other = await cli([
          "approval",
          "create",
          "-C",
          s.company.id,
          "--type",
          "approve_ceo_strategy",
          "--payload",
          JSON.stringify({ plan: "second try" }),
        ]);
        expect(await cli(["issue", "approval:link", s.issue.identifier, other.id])).toEqual(
          expect.arrayContaining([expect.objectContaining({ id: other.id })]),
        );
        expect(await cli(["approval", "request-revision", other.id, "--decision-note", "more detail"])).toMatchObject({
          status: "revision_requested",
        });
        expect(await cli(["approval", "resubmit", other.id, "--payload", JSON.stringify({ plan: "second try, detailed" })])).toMatchObject({
          status: "pending",
        });
        expect(await cli(["approval", "approve", other.id, "--decision-note", "go"])).toMatchObject({ status: "approved" });
      },
      T,
    );

    it(
      "shows company and issue activity",
      async () => {
        const activity = await cli(["activity", "list", "-C", s.company.id]);
        const actions = new Set(activity.map((a: any) => a.action));
        for (const action of [
          "company.created",
          "agent.created",
          "issue.created",
          "issue.comment_added",
          "approval.created",
          "approval.rejected",
          "approval.approved",
        ]) {
          expect(actions, action).toContain(action);
        }
        const mine = await cli(["activity", "list", "-C", s.company.id, "--entity-type", "issue", "--entity-id", s.issue.id]);
        expect(mine.length).toBeGreaterThan(0);
        expect(mine.every((a: any) => a.entityId === s.issue.id)).toBe(true);
        const issueActivity = await cli(["activity", "issue", s.issue.identifier]);
        expect(issueActivity.map((a: any) => a.action)).toContain("issue.created");
      },
      T,
    );

    it(
      "documents, labels, attachments, runs and heartbeat context of an issue",
      async () => {
        const doc = await cli(["issue", "document:put", s.issue.identifier, "plan", "--body", "# Plan\n\n1. check compatibility"]);
        expect(doc).toMatchObject({ key: "plan", format: "markdown" });
        expect(await cli(["issue", "document:get", s.issue.identifier, "plan"])).toMatchObject({
          body: "# Plan\n\n1. check compatibility",
        });
        expect((await cli(["issue", "documents", s.issue.identifier])).map((d: any) => d.key)).toContain("plan");

        const label = await cli(["issue", "label:create", "-C", s.company.id, "--name", "compat", "--color", "#3366ff"]);
        expect(label).toMatchObject({ name: "compat", color: "#3366ff" });
        expect((await cli(["issue", "label:list", "-C", s.company.id])).map((l: any) => l.id)).toContain(label.id);

        const file = path.join(home, "evidence.txt");
        fs.writeFileSync(file, "compat evidence\n");
        const attachment = await cli(["issue", "attachment:upload", s.issue.identifier, "-C", s.company.id, "--file", file]);
        expect(attachment).toMatchObject({ issueId: s.issue.id, contentType: "text/plain", byteSize: 16 });
        expect((await cli(["issue", "attachments", s.issue.identifier])).map((a: any) => a.id)).toContain(attachment.id);
        expect(await cli(["issue", "attachment:download", attachment.id], { json: false })).toContain("compat evidence");
        await cli(["issue", "attachment:delete", attachment.id]);
        await cli(["issue", "label:delete", label.id]);

        const context = await cli(["issue", "heartbeat-context", s.issue.identifier]);
        expect(context.issue).toMatchObject({ id: s.issue.id, identifier: s.issue.identifier });
        expect(Array.isArray(await cli(["issue", "runs", s.issue.identifier]))).toBe(true);
        expect(Array.isArray(await cli(["issue", "live-runs", s.issue.identifier]))).toBe(true);
        await cli(["issue", "active-run", s.issue.identifier]);
      },
      T,
    );

    it(
      "an agent key minted by the CLI: identity and inbox",
      async () => {
        const key = await cli(["token", "agent", "create", "-C", s.company.id, "--agent", s.reviewer.id, "--name", "compat"]);
        expect(key).toMatchObject({ agentId: s.reviewer.id, companyId: s.company.id, key: { name: "compat" } });
        const token: string = key.key.token;
        expect(token).toMatch(/^pcp_/);
        expect(await cli(["agent", "me"], { apiKey: token })).toMatchObject({ id: s.reviewer.id, companyId: s.company.id });
        const task = await cli([
          "issue",
          "create",
          "-C",
          s.company.id,
          "--title",
          "Compat review",
          "--status",
          "backlog",
          "--assignee-agent-id",
          s.reviewer.id,
        ]);
        expect((await cli(["issue", "update", task.identifier, "--status", "todo"])).status).toBe("todo");
        const inbox = await cli(["agent", "inbox"], { apiKey: token });
        expect(inbox.map((i: any) => i.id)).toContain(task.id);
      },
      T,
    );

    it(
      "the CLI inside a heartbeat: checkout, heartbeat-context, comment, a confirmation card and in_review with the run's own environment; the board accepts and closes",
      async () => {
        // A process agent whose heartbeat runs this CLI version: it finds PAPERCLIP_API_URL,
        // PAPERCLIP_API_KEY (the run token) and PAPERCLIP_RUN_ID in its environment, as agents do.
        const q = (p: string) => `'${p.replace(/'/g, `'\\''`)}'`;
        const pc = `${q(node)} ${q(main)}`;
        const script = [
          `${pc} issue checkout "$PAPERCLIP_TASK_ID" --agent-id "$PAPERCLIP_AGENT_ID" --expected-statuses todo,in_progress --json`,
          `${pc} issue heartbeat-context "$PAPERCLIP_TASK_ID" --json`,
          `${pc} issue comment "$PAPERCLIP_TASK_ID" --body "checked from inside run $PAPERCLIP_RUN_ID" --json`,
          `${pc} issue interaction:create "$PAPERCLIP_TASK_ID" --payload-json ${q(JSON.stringify(CONFIRMATION))} --json`,
          `${pc} issue update "$PAPERCLIP_TASK_ID" --status in_review --json`,
        ].join(" && ");
        // The company requires board approval for new agents by now: hire, then approve.
        const hire = await cli([
          "agent",
          "hire",
          "-C",
          s.company.id,
          "--payload-json",
          JSON.stringify({
            name: "Compat Runner",
            role: "engineer",
            adapterType: "process",
            adapterConfig: {
              command: "/bin/sh",
              args: ["-c", script],
              timeoutSec: 120,
              env: { HOME: home, PAPERCLIP_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1", PAPERCLIP_UPDATE_CHECK: "0", NO_COLOR: "1" },
            },
          }),
        ]);
        const worker = hire.agent;
        expect(worker.status).toBe("pending_approval");
        expect((await cli(["approval", "approve", hire.approval.id])).status).toBe("approved");
        const task = await cli([
          "issue",
          "create",
          "-C",
          s.company.id,
          "--title",
          "Compat heartbeat task",
          "--status",
          "todo",
          "--assignee-agent-id",
          worker.id,
        ]);
        const started = Date.now();
        const commands = [
          "issue checkout",
          "issue heartbeat-context",
          "issue comment",
          "issue interaction:create",
          "issue update --status in_review",
        ];
        let run: any;
        for (;;) {
          const runs = (await httpJson(server.url, "GET", `/api/issues/${task.id}/runs`)).body as any[];
          run = runs[0];
          if (run && ["succeeded", "failed", "cancelled", "timed_out"].includes(run.status)) break;
          if (Date.now() - started > 150_000) throw new Error(`the heartbeat did not finish: ${JSON.stringify(runs)}`);
          await new Promise((r) => setTimeout(r, 500));
        }
        for (const c of commands)
          log.push({
            command: `paperclipai ${c} (inside a heartbeat, run token from PAPERCLIP_API_KEY)`,
            exitCode: run.status === "succeeded" ? 0 : 1,
            ms: 0,
          });
        if (run.status !== "succeeded") {
          const tail = (await httpJson(server.url, "GET", `/api/heartbeat-runs/${run.runId}/log`)).body;
          throw new Error(`the heartbeat ${run.status}: ${JSON.stringify(tail).slice(-3000)}`);
        }
        expect(await cli(["issue", "get", task.identifier])).toMatchObject({ status: "in_review", assigneeAgentId: worker.id });
        const comments = await cli(["issue", "comments", task.identifier]);
        expect(comments).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ authorAgentId: worker.id, createdByRunId: run.runId, body: `checked from inside run ${run.runId}` }),
          ]),
        );
        // The board answers the agent's card, then closes the issue.
        const cards = await cli(["issue", "interactions", task.identifier]);
        expect(cards).toEqual([expect.objectContaining({ kind: "request_confirmation", status: "pending" })]);
        expect(await cli(["issue", "interaction:accept", task.identifier, cards[0].id])).toMatchObject({
          id: cards[0].id,
          status: "accepted",
        });
        expect(await cli(["issue", "update", task.identifier, "--status", "done", "--comment", "confirmed and closed"])).toMatchObject({
          status: "done",
        });
      },
      T,
    );

    it(
      "dashboard and costs",
      async () => {
        expect(await cli(["dashboard", "get", "-C", s.company.id])).toMatchObject({ companyId: s.company.id });
        expect(await cli(["cost", "summary", "-C", s.company.id])).toMatchObject({ companyId: s.company.id });
        expect(Array.isArray(await cli(["cost", "by-agent", "-C", s.company.id]))).toBe(true);
      },
      T,
    );
  });
}
