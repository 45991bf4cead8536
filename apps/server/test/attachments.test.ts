import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./helpers/test-app.js";
import { createAgent, createAgentKey, createCompany, createIssue } from "./helpers/fixtures.js";
import { sanitizeFilename } from "../src/attachments/filename.js";
import { contentDisposition, normalizeContentType } from "../src/attachments/serving.js";
import { CHUNK_BYTES } from "../src/attachments/service.js";

// A small limit keeps the over-limit uploads cheap; it is above one storage chunk (1 MiB) so a
// file can span two chunks.
const LIMIT = CHUNK_BYTES + 256 * 1024;
let app: TestApp;
beforeAll(async () => {
  app = await createTestApp({ attachmentMaxBytes: LIMIT });
});
afterAll(async () => {
  await app?.tdb.drop();
});

const PNG = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
const SVG = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>';

interface Part {
  name: string;
  filename?: string;
  /** Sent as RFC 8187 `filename*` (percent-encoded UTF-8), which can carry any character. */
  filenameStar?: string;
  type?: string;
  data: Buffer | string;
}

/** A multipart/form-data body built by hand, so filenames and framing are exactly what a test says. */
function multipart(parts: Part[]): { body: Buffer; contentType: string } {
  const boundary = `----staple${randomBytes(8).toString("hex")}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    if (p.filenameStar !== undefined) head += `; filename*=UTF-8''${encodeURIComponent(p.filenameStar)}`;
    head += "\r\n";
    if (p.type) head += `Content-Type: ${p.type}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(p.data), Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

interface RawOptions {
  body?: BodyInit;
  headers?: Record<string, string>;
  token?: string;
  runId?: string;
}

async function raw(method: string, path: string, o: RawOptions = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${o.token ?? app.boardToken}`, ...(o.headers ?? {}) };
  if (o.runId) headers["x-paperclip-run-id"] = o.runId;
  const init: RequestInit & { duplex?: string } = { method, headers, body: o.body };
  if (o.body instanceof ReadableStream) init.duplex = "half";
  const res = await app.app.request(path, init);
  const bytes = Buffer.from(await res.arrayBuffer());
  let json: any = null;
  if ((res.headers.get("content-type") ?? "").includes("application/json")) json = JSON.parse(bytes.toString("utf8"));
  return { status: res.status, headers: res.headers, bytes, json };
}

async function upload(companyId: string, issueRef: string, parts: Part[], o: RawOptions = {}) {
  const { body, contentType } = multipart(parts);
  return raw("POST", `/api/companies/${companyId}/issues/${issueRef}/attachments`, {
    ...o,
    body,
    headers: { "content-type": contentType, ...(o.headers ?? {}) },
  });
}

async function fresh() {
  const company = await createCompany(app);
  const issue = await createIssue(app, company.id);
  return { company, issue };
}

async function insertRun(companyId: string, agentId: string): Promise<string> {
  const [run] = await app.tdb.db.query<{ id: string }>(
    "INSERT INTO heartbeat_runs (company_id, agent_id, status) VALUES ($1, $2, 'running') RETURNING id",
    [companyId, agentId],
  );
  return run!.id;
}

const attachmentCount = async (issueId: string) =>
  (await app.tdb.db.query<{ n: number }>("SELECT count(*)::int AS n FROM issue_attachments WHERE issue_id = $1", [issueId]))[0]!.n;

describe("upload and download", () => {
  it("png: 201 with Paperclip's shape; served inline with its type, nosniff and a sandboxing CSP", async () => {
    const { company, issue } = await fresh();
    const res = await upload(company.id, issue.id, [{ name: "file", filename: "shot.png", type: "image/png", data: PNG }]);
    expect(res.status, res.bytes.toString()).toBe(201);
    expect(res.json).toMatchObject({
      companyId: company.id,
      issueId: issue.id,
      issueCommentId: null,
      provider: "postgres",
      contentType: "image/png",
      byteSize: PNG.length,
      sha256: createHash("sha256").update(PNG).digest("hex"),
      originalFilename: "shot.png",
      createdByAgentId: null,
      createdByUserId: "local-board",
      createdByRunId: null,
      originatingRunId: null,
    });
    expect(res.json.assetId).toBe(res.json.id);
    expect(res.json.contentPath).toBe(`/api/attachments/${res.json.id}/content`);

    const got = await raw("GET", res.json.contentPath);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(PNG)).toBe(true);
    expect(got.headers.get("content-type")).toBe("image/png");
    expect(got.headers.get("content-length")).toBe(String(PNG.length));
    expect(got.headers.get("content-disposition")).toBe(`inline; filename="shot.png"; filename*=UTF-8''shot.png`);
    expect(got.headers.get("x-content-type-options")).toBe("nosniff");
    expect(got.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    expect(got.headers.get("content-security-policy")).toMatch(/\bsandbox\b/);
  });

  it("text is served as a download with its stored type (parameters dropped)", async () => {
    const { company, issue } = await fresh();
    const res = await upload(company.id, issue.identifier, [
      { name: "file", filename: "notes.txt", type: "Text/Plain; charset=utf-8", data: "hello\n" },
    ]);
    expect(res.status).toBe(201);
    expect(res.json.contentType).toBe("text/plain");
    const got = await raw("GET", res.json.contentPath);
    expect(got.bytes.toString()).toBe("hello\n");
    expect(got.headers.get("content-type")).toBe("text/plain");
    expect(got.headers.get("content-disposition")).toMatch(/^attachment; filename="notes.txt"/);
    expect(got.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("svg (can carry script) is never inline: attachment disposition and a sandbox CSP", async () => {
    const { company, issue } = await fresh();
    const res = await upload(company.id, issue.id, [{ name: "file", filename: "logo.svg", type: "image/svg+xml", data: SVG }]);
    expect(res.status).toBe(201);
    const got = await raw("GET", res.json.contentPath);
    expect(got.headers.get("content-type")).toBe("image/svg+xml");
    expect(got.headers.get("content-disposition")).toMatch(/^attachment;/);
    expect(got.headers.get("content-security-policy")).toMatch(/\bsandbox\b/);
    expect(got.bytes.toString()).toBe(SVG);
  });

  it("a browser-style FormData upload works; a file over one storage chunk comes back whole", async () => {
    const { company, issue } = await fresh();
    const big = randomBytes(CHUNK_BYTES + 1000);
    const form = new FormData();
    form.append("file", new Blob([big], { type: "application/pdf" }), "report.pdf");
    const res = await raw("POST", `/api/companies/${company.id}/issues/${issue.id}/attachments`, { body: form });
    expect(res.status, res.bytes.toString()).toBe(201);
    const [{ chunks }] = await app.tdb.db.query<{ chunks: number }>(
      "SELECT count(*)::int AS chunks FROM issue_attachment_chunks WHERE attachment_id = $1",
      [res.json.id],
    );
    expect(chunks).toBe(2);
    const got = await raw("GET", res.json.contentPath);
    expect(got.bytes.equals(big)).toBe(true);
    expect(got.headers.get("content-disposition")).toMatch(/^attachment;/);
  });

  it("lists newest first under both paths; the issue may be named by identifier", async () => {
    const { company, issue } = await fresh();
    const a = await upload(company.id, issue.id, [{ name: "file", filename: "a.txt", type: "text/plain", data: "a" }]);
    const b = await upload(company.id, issue.id, [{ name: "file", filename: "b.txt", type: "text/plain", data: "b" }]);
    for (const path of [
      `/api/issues/${issue.id}/attachments`,
      `/api/issues/${issue.identifier}/attachments`,
      `/api/companies/${company.id}/issues/${issue.id}/attachments`,
    ]) {
      const list = await app.get(path);
      expect(list.status).toBe(200);
      expect(list.body.map((x: any) => x.id)).toEqual([b.json.id, a.json.id]);
      expect(list.body[0]).toMatchObject({ originalFilename: "b.txt", contentPath: b.json.contentPath });
    }
  });

  it("records issue.attachment_added, and the heartbeat context lists the file", async () => {
    const { company, issue } = await fresh();
    const res = await upload(company.id, issue.id, [{ name: "file", filename: "plan.md", type: "text/markdown", data: "# plan" }]);
    const activity = await app.get(`/api/issues/${issue.id}/activity`);
    const row = activity.body.find((r: any) => r.action === "issue.attachment_added");
    expect(row).toMatchObject({ actorType: "user", entityType: "issue", entityId: issue.id });
    expect(row.details).toMatchObject({
      attachmentId: res.json.id,
      originalFilename: "plan.md",
      contentType: "text/markdown",
      byteSize: 6,
    });
    const ctx = await app.get(`/api/issues/${issue.id}/heartbeat-context`);
    expect(ctx.body.attachments).toEqual([
      {
        id: res.json.id,
        filename: "plan.md",
        contentType: "text/markdown",
        byteSize: 6,
        contentPath: res.json.contentPath,
        createdAt: res.json.createdAt,
      },
    ]);
  });
});

describe("limits and bad input", () => {
  it("a file over the limit is a 413 and nothing is stored", async () => {
    const { company, issue } = await fresh();
    const res = await upload(company.id, issue.id, [
      { name: "file", filename: "big.bin", type: "application/octet-stream", data: Buffer.alloc(LIMIT + 1) },
    ]);
    expect(res.status).toBe(413);
    expect(res.json.error).toContain(String(LIMIT));
    const exact = await upload(company.id, issue.id, [
      { name: "file", filename: "ok.bin", type: "application/octet-stream", data: Buffer.alloc(LIMIT, 1) },
    ]);
    expect(exact.status).toBe(201);
    expect(await attachmentCount(issue.id)).toBe(1);
  });

  it("a chunked body with no Content-Length stops being read once it crosses the limit (413)", async () => {
    const { company, issue } = await fresh();
    const boundary = "----stapleStream";
    const chunk = Buffer.alloc(64 * 1024, 7);
    const totalChunks = 200; // 12.5 MiB if it were all read
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled === 0) {
          controller.enqueue(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.bin"\r\n\r\n`));
        }
        if (pulled++ >= totalChunks) return controller.close();
        controller.enqueue(chunk);
      },
    });
    const res = await raw("POST", `/api/companies/${company.id}/issues/${issue.id}/attachments`, {
      body,
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
    });
    expect(res.status).toBe(413);
    // Reading stopped a few chunks past the limit, far from the whole body.
    expect(pulled).toBeLessThan(Math.ceil(LIMIT / chunk.length) + 4);
    expect(await attachmentCount(issue.id)).toBe(0);
  });

  it("a declared Content-Length over the limit is refused before reading", async () => {
    const { company, issue } = await fresh();
    const { contentType } = multipart([]);
    const res = await raw("POST", `/api/companies/${company.id}/issues/${issue.id}/attachments`, {
      body: "x",
      headers: { "content-type": contentType, "content-length": String(LIMIT * 2) },
    });
    expect(res.status).toBe(413);
  });

  it("missing `file` field -> 400; a file in another field -> 400; two files -> 400", async () => {
    const { company, issue } = await fresh();
    const none = await upload(company.id, issue.id, [{ name: "note", data: "no file here" }]);
    expect(none.status).toBe(400);
    expect(none.json.error).toBe('Missing file field "file"');
    const other = await upload(company.id, issue.id, [{ name: "upload", filename: "a.txt", type: "text/plain", data: "a" }]);
    expect(other.status).toBe(400);
    expect(other.json.error).toContain('Unexpected file field "upload"');
    const two = await upload(company.id, issue.id, [
      { name: "file", filename: "a.txt", type: "text/plain", data: "a" },
      { name: "file", filename: "b.txt", type: "text/plain", data: "b" },
    ]);
    expect(two.status).toBe(400);
    expect(two.json.error).toContain("Only one file");
    expect(await attachmentCount(issue.id)).toBe(0);
  });

  it("a JSON body -> 400 multipart_required; broken multipart -> 400 multipart_malformed; empty file -> 422", async () => {
    const { company, issue } = await fresh();
    const path = `/api/companies/${company.id}/issues/${issue.id}/attachments`;
    const json = await app.post(path, { file: "aGVsbG8=" });
    expect(json.status).toBe(400);
    expect(json.body.code).toBe("multipart_required");
    const noBoundary = await raw("POST", path, { body: "x", headers: { "content-type": "multipart/form-data; charset=utf-8" } });
    expect(noBoundary.status).toBe(400);
    expect(noBoundary.json.code).toBe("multipart_malformed");
    const truncated = await raw("POST", path, {
      body: '--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nunterminated',
      headers: { "content-type": "multipart/form-data; boundary=b" },
    });
    expect(truncated.status).toBe(400);
    expect(truncated.json.code).toBe("multipart_malformed");
    const empty = await upload(company.id, issue.id, [{ name: "file", filename: "empty.txt", type: "text/plain", data: "" }]);
    expect(empty.status).toBe(422);
    expect(empty.json.code).toBe("attachment_empty");
    const badComment = await upload(company.id, issue.id, [
      { name: "issueCommentId", data: "00000000-0000-4000-8000-000000000000" },
      { name: "file", filename: "a.txt", type: "text/plain", data: "a" },
    ]);
    expect(badComment.status).toBe(422);
    expect(badComment.json.code).toBe("comment_not_on_issue");
  });

  it("filenames lose paths, control and bidi characters, and are capped keeping the extension", async () => {
    const { company, issue } = await fresh();
    const res = await upload(company.id, issue.id, [
      { name: "file", filenameStar: "../../etc/pass\u0007wd\u202Etxt.exe", type: "text/plain", data: "x" },
    ]);
    expect(res.status, res.bytes.toString()).toBe(201);
    expect(res.json.originalFilename).toBe("passwdtxt.exe");
    // A raw control character in the part header itself is malformed input.
    const rawControl = await upload(company.id, issue.id, [{ name: "file", filename: "a\u0007.txt", type: "text/plain", data: "x" }]);
    expect(rawControl.status).toBe(400);
    expect(sanitizeFilename("a/b/../c.txt")).toBe("c.txt");
    expect(sanitizeFilename("..")).toBeNull();
    expect(sanitizeFilename("\u0000\u001f")).toBeNull();
    const long = sanitizeFilename(`${"x".repeat(500)}.tar.gz`)!;
    expect([...long].length).toBe(200);
    expect(long.endsWith("x.gz")).toBe(true);
    expect(contentDisposition("attachment", 'résumé "final".pdf')).toBe(
      `attachment; filename="r_sum_ _final_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf`,
    );
    expect(normalizeContentType("text/html\r\nX-Evil: 1")).toBe("application/octet-stream");
    expect(normalizeContentType(undefined)).toBe("application/octet-stream");
  });
});

describe("access", () => {
  it("another company's attachment is a 404 to its agents (read, list, delete); uploading there is a 403", async () => {
    const { company, issue } = await fresh();
    const res = await upload(company.id, issue.id, [{ name: "file", filename: "a.txt", type: "text/plain", data: "secret" }]);
    const other = await createCompany(app);
    const outsider = await createAgentKey(app, (await createAgent(app, other.id)).id);
    expect((await raw("GET", res.json.contentPath, { token: outsider.token })).status).toBe(404);
    expect((await raw("DELETE", `/api/attachments/${res.json.id}`, { token: outsider.token })).status).toBe(404);
    expect((await app.get(`/api/issues/${issue.id}/attachments`, { token: outsider.token })).status).toBe(404);
    const into = await upload(company.id, issue.id, [{ name: "file", filename: "b.txt", type: "text/plain", data: "b" }], {
      token: outsider.token,
    });
    expect(into.status).toBe(403);
    // Through its own company's path, the other company's issue does not exist for it.
    const sideways = await upload(other.id, issue.id, [{ name: "file", filename: "b.txt", type: "text/plain", data: "b" }], {
      token: outsider.token,
    });
    expect(sideways.status).toBe(404);
    // The board sees both companies: the mismatch is Paperclip's 422.
    const board = await upload(other.id, issue.id, [{ name: "file", filename: "b.txt", type: "text/plain", data: "b" }]);
    expect(board.status).toBe(422);
    expect(board.json.code).toBe("issue_company_mismatch");
    expect((await raw("GET", "/api/attachments/not-a-uuid/content")).status).toBe(404);
    expect(await attachmentCount(issue.id)).toBe(1);
  });

  it("an agent's upload is attributed to its run; agents of the company can list and read it", async () => {
    const { company, issue } = await fresh();
    const agent = await createAgent(app, company.id);
    const key = await createAgentKey(app, agent.id);
    const runId = await insertRun(company.id, agent.id);
    const res = await upload(company.id, issue.id, [{ name: "file", filename: "out.txt", type: "text/plain", data: "done" }], {
      token: key.token,
      runId,
    });
    expect(res.status, res.bytes.toString()).toBe(201);
    expect(res.json).toMatchObject({ createdByAgentId: agent.id, createdByUserId: null, createdByRunId: runId, originatingRunId: runId });
    const [act] = await app.tdb.db.query<{ runId: string; agentId: string }>(
      "SELECT run_id, agent_id FROM activity_log WHERE action = 'issue.attachment_added' AND entity_id = $1",
      [issue.id],
    );
    expect(act).toEqual({ runId, agentId: agent.id });
    const peer = await createAgentKey(app, (await createAgent(app, company.id)).id);
    expect((await app.get(`/api/issues/${issue.id}/attachments`, { token: peer.token })).body).toHaveLength(1);
    expect((await raw("GET", res.json.contentPath, { token: peer.token })).bytes.toString()).toBe("done");
  });

  it("delete: another agent 403, the uploading agent or the board 200; then the content is gone", async () => {
    const { company, issue } = await fresh();
    const owner = await createAgentKey(app, (await createAgent(app, company.id)).id);
    const peer = await createAgentKey(app, (await createAgent(app, company.id)).id);
    const mine = await upload(company.id, issue.id, [{ name: "file", filename: "a.txt", type: "text/plain", data: "a" }], {
      token: owner.token,
    });
    const boards = await upload(company.id, issue.id, [{ name: "file", filename: "b.txt", type: "text/plain", data: "b" }]);

    const denied = await raw("DELETE", `/api/attachments/${mine.json.id}`, { token: peer.token });
    expect(denied.status).toBe(403);
    expect(denied.json.code).toBe("attachment_not_owner");
    expect((await raw("DELETE", `/api/attachments/${boards.json.id}`, { token: owner.token })).status).toBe(403);

    const byOwner = await raw("DELETE", `/api/attachments/${mine.json.id}`, { token: owner.token });
    expect(byOwner.status).toBe(200);
    expect(byOwner.json).toEqual({ ok: true });
    expect((await raw("DELETE", `/api/attachments/${boards.json.id}`)).status).toBe(200);
    expect((await raw("GET", mine.json.contentPath)).status).toBe(404);
    expect((await raw("DELETE", `/api/attachments/${mine.json.id}`)).status).toBe(404);
    const [{ n }] = await app.tdb.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM issue_attachment_chunks WHERE attachment_id = ANY($1::uuid[])",
      [[mine.json.id, boards.json.id]],
    );
    expect(n).toBe(0);
    const removed = (await app.get(`/api/issues/${issue.id}/activity`)).body.filter((r: any) => r.action === "issue.attachment_removed");
    expect(removed.map((r: any) => r.details.attachmentId).sort()).toEqual([mine.json.id, boards.json.id].sort());
  });
});
