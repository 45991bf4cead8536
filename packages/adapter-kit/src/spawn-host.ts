import { fork, spawn as nodeSpawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import path from "node:path";
import { PassThrough, Writable } from "node:stream";
import { fileURLToPath } from "node:url";

/** What `runChildProcess` needs from a spawned child: node's ChildProcess or a remote stand-in. */
export interface SpawnedChild extends EventEmitter {
  readonly pid?: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: (NodeJS.ReadableStream & { setEncoding(e: BufferEncoding): unknown; destroy(): unknown }) | null;
  readonly stderr: (NodeJS.ReadableStream & { setEncoding(e: BufferEncoding): unknown; destroy(): unknown }) | null;
}

export interface SpawnRequest {
  command: string;
  args: readonly string[];
  cwd?: string;
  env: Record<string, string>;
}

/** Spawns a detached child (own process group) with piped stdio. */
export type SpawnFunction = (request: SpawnRequest) => SpawnedChild;

export const localSpawn: SpawnFunction = (r) =>
  nodeSpawn(r.command, [...r.args], {
    cwd: r.cwd,
    env: r.env,
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
    windowsHide: true,
  }) as ChildProcess;

const HOST_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../spawn-host.mjs");

type HostMessage =
  | { t: "ready" }
  | { t: "spawn"; id: number; pid: number }
  | { t: "error"; id: number; code: string; message: string }
  | { t: "out"; id: number; s: 1 | 2; d: string }
  | { t: "exit"; id: number; code: number | null; signal: string | null }
  | { t: "close"; id: number };

class RemoteChild extends EventEmitter implements SpawnedChild {
  pid: number | undefined;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdin: Writable;
  constructor(
    readonly id: number,
    private readonly host: ChildProcess,
  ) {
    super();
    this.stdin = new Writable({
      write: (chunk: Buffer | string, _enc, done) => {
        this.host.send({ t: "stdin", id, d: chunk.toString() }, () => done());
      },
      final: (done) => {
        this.host.send({ t: "stdin-end", id }, () => done());
      },
    });
    // When the supervisor gives up on the pipes, tell the host to stop reading them too.
    this.stdout.once("close", () => this.host.connected && this.host.send({ t: "drop", id }));
  }
}

/**
 * A client of the spawn host (spawn-host.mjs): `spawn` has the shape of a local spawn but the
 * fork happens in a small helper process, which keeps spawning cheap for a server whose own memory
 * is large. The host is started lazily and restarted if it dies; children in flight when it dies
 * lose their output stream and are reported as errored.
 */
export function createSpawnHost() {
  let host: ChildProcess | undefined;
  let nextId = 1;
  const children = new Map<number, RemoteChild>();

  const start = (): ChildProcess => {
    const h = fork(HOST_SCRIPT, [], { stdio: ["ignore", "ignore", "inherit", "ipc"], serialization: "json" });
    h.on("message", (msg: HostMessage) => {
      if (msg.t === "ready") return;
      const child = children.get(msg.id);
      if (!child) return;
      switch (msg.t) {
        case "spawn":
          child.pid = msg.pid;
          child.emit("spawn");
          break;
        case "error":
          child.emit("error", Object.assign(new Error(msg.message), { code: msg.code }));
          if (child.pid === undefined) finish(child);
          break;
        case "out":
          (msg.s === 1 ? child.stdout : child.stderr).write(msg.d);
          break;
        case "exit":
          child.emit("exit", msg.code, msg.signal);
          break;
        case "close":
          finish(child);
          break;
      }
    });
    h.on("exit", () => {
      if (host === h) host = undefined;
      for (const child of [...children.values()]) {
        child.emit("error", Object.assign(new Error("spawn host exited"), { code: "ESPAWNHOST" }));
        if (child.pid !== undefined) child.emit("exit", null, null);
        finish(child);
      }
    });
    h.unref();
    (h as unknown as { channel?: { unref(): void } }).channel?.unref();
    return h;
  };

  // The host keeps the event loop alive only while it has children in flight.
  const setRef = (h: ChildProcess, on: boolean) => {
    const channel = (h as unknown as { channel?: { ref(): void; unref(): void } }).channel;
    if (on) {
      h.ref();
      channel?.ref();
    } else {
      h.unref();
      channel?.unref();
    }
  };

  const finish = (child: RemoteChild) => {
    children.delete(child.id);
    if (children.size === 0 && host) setRef(host, false);
    child.stdout.end();
    child.stderr.end();
    child.emit("close");
  };

  const spawn: SpawnFunction = (request) => {
    host ??= start();
    const child = new RemoteChild(nextId++, host);
    if (children.size === 0) setRef(host, true);
    children.set(child.id, child);
    host.send({ t: "spawn", id: child.id, command: request.command, args: [...request.args], cwd: request.cwd, env: request.env });
    return child;
  };

  return {
    spawn,
    close() {
      host?.disconnect();
      host = undefined;
    },
  };
}
export type SpawnHost = ReturnType<typeof createSpawnHost>;
