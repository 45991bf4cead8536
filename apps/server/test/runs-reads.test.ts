import { describe, expect, it } from "vitest";
import { createAgent, createCompany } from "./helpers/fixtures.js";
import { UNKNOWN_UUID, useRunExecutionServer } from "./helpers/run-execution-kit.js";

/** Reading runs: one run, its events and log (paged), and the company list with its filters. */

const { t, wake, waitRunDone } = useRunExecutionServer();

describe("run reads", () => {
  it("GET /heartbeat-runs/:id, its events (paged) and its NDJSON log (paged); unknown ids 404", async () => {
    const company = await createCompany(t.current);
    const agent = await createAgent(t.current, company.id, {
      adapterConfig: { command: "/bin/sh", args: ["-c", "echo line-one; echo line-two >&2; echo line-three"] },
    });
    const queued = await wake(agent.id, { reason: "read-test" });
    const run = await waitRunDone(queued.id);
    expect(run).toMatchObject({
      id: queued.id,
      companyId: company.id,
      agentId: agent.id,
      status: "succeeded",
      invocationSource: "on_demand",
      wakeupRequestId: queued.wakeupRequestId,
      processLossRetryCount: 0,
      retryOfRunId: null,
      logStore: "database",
    });
    expect(run.contextSnapshot).toMatchObject({ wakeReason: "read-test", wakeSource: "on_demand" });
    expect(new Date(run.startedAt).getTime()).toBeLessThanOrEqual(new Date(run.finishedAt).getTime());
    expect(run.logBytes).toBeGreaterThan(0);
    expect(run.logSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(run.processPid).toBeGreaterThan(0);
    expect(run.stdoutExcerpt).toContain("line-one");
    expect(run.stdoutExcerpt).toContain("line-three");
    expect(run.stderrExcerpt).toContain("line-two");

    // Events: ordered by seq, "run started" -> adapter.invoke -> terminal lifecycle.
    const events = await t.current.get(`/api/heartbeat-runs/${run.id}/events`);
    expect(events.status).toBe(200);
    const list = events.body as any[];
    expect(list.length).toBeGreaterThanOrEqual(3);
    const seqs = list.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(list[0]).toMatchObject({ eventType: "lifecycle", message: "run started", runId: run.id, agentId: agent.id });
    expect(list[1]).toMatchObject({ eventType: "adapter.invoke" });
    expect(list[1].payload).toMatchObject({ adapterType: "process", command: "/bin/sh" });
    expect(list.at(-1)).toMatchObject({ eventType: "lifecycle", message: "run succeeded" });

    const after = await t.current.get(`/api/heartbeat-runs/${run.id}/events?afterSeq=${list[0].seq}`);
    expect(after.body.map((e: any) => e.seq)).toEqual(seqs.slice(1));
    const limited = await t.current.get(`/api/heartbeat-runs/${run.id}/events?limit=1`);
    expect(limited.body.map((e: any) => e.seq)).toEqual(seqs.slice(0, 1));
    const page2 = await t.current.get(`/api/heartbeat-runs/${run.id}/events?afterSeq=${list[0].seq}&limit=1`);
    expect(page2.body.map((e: any) => e.seq)).toEqual(seqs.slice(1, 2));
    const beyond = await t.current.get(`/api/heartbeat-runs/${run.id}/events?afterSeq=${seqs.at(-1)}`);
    expect(beyond.body).toEqual([]);

    // Log: NDJSON {ts, stream, chunk}.
    const log = await t.current.get(`/api/heartbeat-runs/${run.id}/log`);
    expect(log.status).toBe(200);
    expect(log.body).toMatchObject({ runId: run.id, store: "database", logRef: `db:${run.id}` });
    expect(log.body.nextOffset).toBeUndefined();
    const content = log.body.content as string;
    expect(Buffer.byteLength(content)).toBe(run.logBytes);
    const lines = content
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(Object.keys(line).sort()).toEqual(["chunk", "stream", "ts"]);
      expect(["stdout", "stderr", "system"]).toContain(line.stream);
      expect(Number.isNaN(Date.parse(line.ts))).toBe(false);
    }
    expect(
      lines
        .filter((l) => l.stream === "stdout")
        .map((l) => l.chunk)
        .join(""),
    ).toContain("line-one");
    expect(
      lines
        .filter((l) => l.stream === "stderr")
        .map((l) => l.chunk)
        .join(""),
    ).toContain("line-two");

    // Paging by bytes reassembles the same content.
    let offset = 0;
    let assembled = "";
    let pages = 0;
    for (;;) {
      const page = await t.current.get(`/api/heartbeat-runs/${run.id}/log?offset=${offset}&limitBytes=16`);
      expect(page.status).toBe(200);
      assembled += page.body.content;
      pages++;
      expect(pages).toBeLessThan(1000);
      if (page.body.nextOffset === undefined) break;
      expect(page.body.nextOffset).toBe(offset + 16);
      offset = page.body.nextOffset;
    }
    expect(pages).toBeGreaterThan(1);
    expect(assembled).toBe(content);

    // Unknown and malformed run ids.
    for (const suffix of ["", "/events", "/log", "/issues"]) {
      expect((await t.current.get(`/api/heartbeat-runs/${UNKNOWN_UUID}${suffix}`)).status).toBe(404);
      expect((await t.current.get(`/api/heartbeat-runs/not-a-uuid${suffix}`)).status).toBe(404);
    }
  });

  it("GET /companies/:cid/heartbeat-runs filters by agent and status, honours limit, and returns summary rows", async () => {
    const company = await createCompany(t.current);
    const ok = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/sh", args: ["-c", "echo ok-out"] } });
    const bad = await createAgent(t.current, company.id, { adapterConfig: { command: "/bin/sh", args: ["-c", "exit 1"] } });
    const ids: string[] = [];
    ids.push((await waitRunDone((await wake(ok.id)).id)).id);
    ids.push((await waitRunDone((await wake(ok.id)).id)).id);
    const badRun = await waitRunDone((await wake(bad.id)).id);

    const all = await t.current.get(`/api/companies/${company.id}/heartbeat-runs`);
    expect(all.status).toBe(200);
    expect(all.body.map((r: any) => r.id).sort()).toEqual([...ids, badRun.id].sort());
    for (const row of all.body) {
      expect(row.companyId).toBe(company.id);
      expect(row).not.toHaveProperty("stdoutExcerpt");
      expect(row).not.toHaveProperty("stderrExcerpt");
    }
    // Newest first.
    const created = all.body.map((r: any) => new Date(r.createdAt).getTime());
    expect(created).toEqual([...created].sort((a: number, b: number) => b - a));

    const byAgent = await t.current.get(`/api/companies/${company.id}/heartbeat-runs?agentId=${ok.id}`);
    expect(byAgent.body.map((r: any) => r.id).sort()).toEqual([...ids].sort());
    expect(byAgent.body.every((r: any) => r.agentId === ok.id)).toBe(true);

    const limited = await t.current.get(`/api/companies/${company.id}/heartbeat-runs?agentId=${ok.id}&limit=1`);
    expect(limited.body).toHaveLength(1);
    expect(limited.body[0].id).toBe(byAgent.body[0].id);

    const failed = await t.current.get(`/api/companies/${company.id}/heartbeat-runs?status=failed`);
    expect(failed.body.map((r: any) => r.id)).toEqual([badRun.id]);
    const both = await t.current.get(`/api/companies/${company.id}/heartbeat-runs?status=failed,succeeded`);
    expect(both.body).toHaveLength(3);
    const none = await t.current.get(`/api/companies/${company.id}/heartbeat-runs?status=running`);
    expect(none.body).toEqual([]);

    expect((await t.current.get(`/api/companies/${company.id}/heartbeat-runs?limit=0`)).status).toBe(400);
    expect((await t.current.get(`/api/companies/${company.id}/heartbeat-runs?agentId=nope`)).status).toBe(400);

    // No live runs once everything finished.
    const live = await t.current.get(`/api/companies/${company.id}/live-runs`);
    expect(live.body).toEqual([]);
  });
});
