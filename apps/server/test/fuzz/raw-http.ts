import net from "node:net";

export interface RawAnswer {
  /** Undefined when the connection closed (or was reset) before a status line arrived. */
  status?: number;
  headers: Record<string, string>;
  body: string;
  /** How the connection ended: closed by the server, reset, or still open at the time limit. */
  end: "closed" | "reset" | "timeout";
}

/**
 * Writes `request` (bytes exactly as given: no client-side URL or header normalization) to a new
 * loopback connection and reads until the server closes it or `timeoutMs` passes.
 */
export function rawRequest(url: string, request: string | Buffer, timeoutMs = 5_000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (end: RawAnswer["end"]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parse(Buffer.concat(chunks), end));
    };
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("end", () => finish("closed"));
    socket.on("close", () => finish("closed"));
    socket.on("error", () => finish("reset"));
    socket.on("connect", () => socket.write(request));
  });
}

function parse(data: Buffer, end: RawAnswer["end"]): RawAnswer {
  const text = data.toString("latin1");
  const split = text.indexOf("\r\n\r\n");
  const head = split >= 0 ? text.slice(0, split) : text;
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1];
  const headers: Record<string, string> = {};
  for (const line of head.split("\r\n").slice(1)) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = split >= 0 ? data.subarray(Buffer.byteLength(text.slice(0, split + 4), "latin1")).toString("utf8") : "";
  if (headers["transfer-encoding"]?.includes("chunked")) body = dechunk(body);
  return { status: status ? Number(status) : undefined, headers, body, end };
}

function dechunk(body: string): string {
  let out = "";
  let rest = body;
  for (let guard = 0; guard < 10_000; guard++) {
    const nl = rest.indexOf("\r\n");
    if (nl < 0) break;
    const size = parseInt(rest.slice(0, nl), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out += rest.slice(nl + 2, nl + 2 + size);
    rest = rest.slice(nl + 2 + size + 2);
  }
  return out;
}
