// The spawn host: a small Node process that starts agent processes on behalf of the server.
//
// Why: fork/exec cost grows with the parent's mapped memory. The server holds an embedded
// Postgres (hundreds of MB), where one spawn costs tens of milliseconds; from this small process
// it costs about one. The server talks to it over the IPC channel: it asks for a spawn and gets
// the pid, the output chunks, and the exit, in order. Signals are sent by the server directly to
// the process group (kill(-pgid)), so this process only spawns and relays.
//
// If the server dies, this process exits without touching the agents: a restarted server finds
// them by their recorded pid/process group and decides their fate (recovery, not this process).
import { spawn } from "node:child_process";

const children = new Map();
const send = (msg) => {
  if (process.connected) process.send(msg);
};

process.on("message", (msg) => {
  if (msg.t === "spawn") {
    let child;
    try {
      child = spawn(msg.command, msg.args, {
        cwd: msg.cwd,
        env: msg.env,
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
        windowsHide: true,
      });
    } catch (error) {
      send({ t: "error", id: msg.id, code: error?.code ?? "ESPAWN", message: error?.message ?? String(error) });
      return;
    }
    children.set(msg.id, child);
    child.on("error", (error) => send({ t: "error", id: msg.id, code: error?.code ?? "ESPAWN", message: error?.message ?? String(error) }));
    child.once("spawn", () => send({ t: "spawn", id: msg.id, pid: child.pid }));
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (d) => send({ t: "out", id: msg.id, s: 1, d }));
    child.stderr.on("data", (d) => send({ t: "out", id: msg.id, s: 2, d }));
    child.stdout.on("error", () => {});
    child.stderr.on("error", () => {});
    child.stdin.on("error", () => {});
    child.once("exit", (code, signal) => send({ t: "exit", id: msg.id, code, signal }));
    child.once("close", () => {
      children.delete(msg.id);
      send({ t: "close", id: msg.id });
    });
  } else if (msg.t === "stdin") {
    children.get(msg.id)?.stdin.write(msg.d);
  } else if (msg.t === "stdin-end") {
    children.get(msg.id)?.stdin.end();
  } else if (msg.t === "drop") {
    // The server stopped waiting for this child's output (it escaped its group holding the pipes).
    const child = children.get(msg.id);
    child?.stdout.destroy();
    child?.stderr.destroy();
  }
});
process.on("disconnect", () => process.exit(0));
send({ t: "ready" });
