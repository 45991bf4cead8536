import fs from "node:fs";
import type { TestApp } from "../helpers/test-app.js";

/** FUZZ_TRACE=<file>: one tab-separated line per request (actor, operation, label, status, ms). */
const TRACE = process.env.FUZZ_TRACE;

/** One request the fuzzer sends (path already encoded; body already JSON text). */
export interface FuzzRequest {
  method: string;
  path: string;
  rawBody?: string;
  /** What was bad about it, for reports: `body.name=nul`, `path.id=%ff`, … */
  label: string;
}

export interface Violation {
  operation: string;
  actor: string;
  label: string;
  method: string;
  path: string;
  status: number;
  body: string;
  /** The server's error log line(s) written while the request was handled. */
  log: string;
}

/**
 * Server error logs go to stderr as JSON lines (STAPLE_TEST_LOG_LEVEL=error in the fuzz config).
 * Requests are sent one at a time, so every error line written during a request belongs to it.
 */
let captured: string[] = [];
let capturing = false;
const originalWrite = process.stderr.write.bind(process.stderr);
process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
  if (capturing && text.startsWith("{") && text.includes('"level":"error"')) {
    captured.push(text);
    return true;
  }
  return (originalWrite as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stderr.write;

/** `msg: ErrName: message @ first frame in apps/server/src` from a JSON log line. */
export function summarizeLog(line: string): string {
  try {
    const entry = JSON.parse(line) as { msg?: string; err?: { name?: string; message?: string; stack?: string } };
    const frame =
      entry.err?.stack
        ?.split("\n")
        .find((l) => l.includes("/src/") && !l.includes("node_modules"))
        ?.trim() ?? "";
    const message = (entry.err?.message ?? "").replace(/\s+/g, " ").slice(0, 160);
    return `${entry.msg ?? "?"}: ${entry.err?.name ?? ""}: ${message}${frame ? ` @ ${frame.replace(/^at /, "").replace(/.*\/apps\/server\//, "apps/server/")}` : ""}`;
  } catch {
    return line.slice(0, 200);
  }
}

/**
 * Operations whose documented error answer is an HTML page for a browser (a sign-in link opened
 * from a terminal), not JSON: only the status rule applies to them.
 */
const HTML_ERROR_PAGES = new Set(["GET /api/board/login"]);

export interface Actor {
  name: "board" | "agent";
  token?: string;
}

export class Harness {
  sent = 0;
  readonly violations: Violation[] = [];
  readonly statusCounts = new Map<number, number>();

  constructor(
    private readonly app: () => TestApp,
    readonly actor: Actor,
  ) {}

  /** Sends one request; returns a description of the broken rule, or undefined when the answer is fine. */
  async send(operation: string, req: FuzzRequest, { keep = true } = {}): Promise<Violation | undefined> {
    captured = [];
    capturing = true;
    let status: number;
    let body: unknown;
    const t0 = performance.now();
    try {
      const res = await this.app().call(req.method, req.path, { rawBody: req.rawBody, token: this.actor.token });
      status = res.status;
      body = res.body;
    } finally {
      capturing = false;
    }
    this.sent++;
    if (TRACE)
      fs.appendFileSync(TRACE, `${this.actor.name}\t${operation}\t${req.label}\t${status}\t${Math.round(performance.now() - t0)}\n`);
    this.statusCounts.set(status, (this.statusCounts.get(status) ?? 0) + 1);
    const broken =
      status >= 500
        ? `${status}`
        : status >= 400 && !HTML_ERROR_PAGES.has(operation) && !hasErrorString(body)
          ? `${status} without JSON {error}`
          : undefined;
    if (!broken) return undefined;
    const violation: Violation = {
      operation,
      actor: this.actor.name,
      label: req.label,
      method: req.method,
      path: req.path.length > 160 ? `${req.path.slice(0, 160)}…` : req.path,
      status,
      body: (typeof body === "string" ? body : (JSON.stringify(body) ?? "")).slice(0, 200),
      log: captured.map(summarizeLog).join(" | ") || "(no error log line)",
    };
    if (keep) this.violations.push(violation);
    return violation;
  }
}

function hasErrorString(body: unknown): boolean {
  return typeof body === "object" && body !== null && typeof (body as { error?: unknown }).error === "string";
}

/** Root-cause key: the log line with ids, numbers and quoted values blurred. */
export function causeOf(v: Violation): string {
  const log = v.log
    .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "<uuid>")
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\d+/g, "N");
  return `${v.status} ${log}`;
}

export function formatViolation(v: Violation): string {
  return `${v.actor} ${v.method} ${v.path} [${v.label}] -> ${v.status} ${v.body} | log: ${v.log}`;
}

/** Groups violations by root cause for the end-of-run report. */
export function report(violations: Violation[]): string {
  const groups = new Map<string, Violation[]>();
  for (const v of violations) groups.set(causeOf(v), [...(groups.get(causeOf(v)) ?? []), v]);
  const lines: string[] = [];
  for (const [cause, list] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
    const ops = [...new Set(list.map((v) => `${v.actor} ${v.operation}`))];
    lines.push(`● ${list.length}× ${cause}`);
    lines.push(`    operations (${ops.length}): ${ops.slice(0, 12).join("; ")}${ops.length > 12 ? "; …" : ""}`);
    for (const v of list.slice(0, 3)) lines.push(`    e.g. ${formatViolation(v)}`);
  }
  return lines.join("\n");
}
