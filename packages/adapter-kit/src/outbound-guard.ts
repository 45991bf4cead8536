import dns from "node:dns";
import net from "node:net";

/**
 * The outbound guard: decides whether the server may open a connection on an agent's behalf.
 *
 * Invariants:
 * - A destination is refused when ANY address its host resolves to is not a public unicast address
 *   (loopback, unspecified, link-local, private, CGNAT, multicast, reserved, cloud metadata, and the
 *   IPv4-mapped / NAT64 / IPv4-compatible IPv6 forms of those), unless the allow-list covers it.
 * - The check returns the address it approved; callers connect to exactly that address (see
 *   outbound-request.ts), so a second DNS answer (rebinding) can never swap it.
 * - An allow-list entry that does not parse allows nothing (fail closed); the API and the env parser
 *   reject such entries before they are stored.
 */

export type BlockReason =
  | "cloud metadata"
  | "loopback"
  | "unspecified"
  | "link-local"
  | "private"
  | "shared (CGNAT)"
  | "multicast"
  | "reserved";

type Family = "ipv4" | "ipv6";

/** Checked in this order, so the most specific reason names an address (metadata before link-local). */
const BLOCKED_RANGES: ReadonlyArray<[BlockReason, ReadonlyArray<[string, number, Family]>]> = [
  [
    "cloud metadata",
    [
      ["169.254.169.254", 32, "ipv4"],
      ["fd00:ec2::254", 128, "ipv6"],
      ["100.100.100.200", 32, "ipv4"],
    ],
  ],
  [
    "loopback",
    [
      ["127.0.0.0", 8, "ipv4"],
      ["::1", 128, "ipv6"],
    ],
  ],
  [
    "unspecified",
    [
      ["0.0.0.0", 8, "ipv4"],
      ["::", 128, "ipv6"],
    ],
  ],
  [
    "link-local",
    [
      ["169.254.0.0", 16, "ipv4"],
      ["fe80::", 10, "ipv6"],
    ],
  ],
  [
    "private",
    [
      ["10.0.0.0", 8, "ipv4"],
      ["172.16.0.0", 12, "ipv4"],
      ["192.168.0.0", 16, "ipv4"],
      ["fc00::", 7, "ipv6"],
      ["fec0::", 10, "ipv6"],
    ],
  ],
  ["shared (CGNAT)", [["100.64.0.0", 10, "ipv4"]]],
  [
    "multicast",
    [
      ["224.0.0.0", 4, "ipv4"],
      ["ff00::", 8, "ipv6"],
    ],
  ],
  [
    "reserved",
    [
      ["192.0.0.0", 24, "ipv4"],
      ["192.0.2.0", 24, "ipv4"],
      ["198.18.0.0", 15, "ipv4"],
      ["198.51.100.0", 24, "ipv4"],
      ["203.0.113.0", 24, "ipv4"],
      ["240.0.0.0", 4, "ipv4"],
      ["100::", 64, "ipv6"],
      ["2001:db8::", 32, "ipv6"],
      ["64:ff9b:1::", 48, "ipv6"],
    ],
  ],
];

const BLOCK_LISTS: ReadonlyArray<[BlockReason, net.BlockList]> = BLOCKED_RANGES.map(([reason, ranges]) => {
  const list = new net.BlockList();
  for (const [address, prefix, family] of ranges) list.addSubnet(address, prefix, family);
  return [reason, list];
});

/** The 8 16-bit words of a valid IPv6 address (zone id ignored, trailing dotted quad allowed). */
function ipv6Words(address: string): number[] {
  let text = address.split("%")[0] ?? "";
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const headWords = head ? head.split(":") : [];
  const tailWords = tail ? tail.split(":") : [];
  const zeros = tail === undefined ? [] : new Array<string>(8 - headWords.length - tailWords.length).fill("0");
  return [...headWords, ...zeros, ...tailWords].map((w) => parseInt(w, 16));
}

/** The IPv4 address an IPv6 address embeds (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, IPv4-compatible ::/96). */
function embeddedIpv4(address: string): string | null {
  const w = ipv6Words(address);
  const mapped = w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff;
  const nat64 = w[0] === 0x64 && w[1] === 0xff9b && w.slice(2, 6).every((x) => x === 0);
  const compatible = w.slice(0, 6).every((x) => x === 0) && (w[6] !== 0 || (w[7] ?? 0) > 1);
  if (!mapped && !nat64 && !compatible) return null;
  const hi = w[6] ?? 0;
  const lo = w[7] ?? 0;
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/** Why `address` (an IP literal) must not be reached, or null for a public unicast address. Not an IP → "reserved". */
export function classifyAddress(address: string): BlockReason | null {
  const bare = address.split("%")[0] ?? "";
  const version = net.isIP(bare);
  if (version === 0) return "reserved";
  if (version === 6) {
    const v4 = embeddedIpv4(bare);
    if (v4 !== null) return classifyAddress(v4);
  }
  const family: Family = version === 4 ? "ipv4" : "ipv6";
  for (const [reason, list] of BLOCK_LISTS) if (list.check(bare, family)) return reason;
  return null;
}

/** One allow-list entry: a CIDR range, an address (optionally with a port), or an exact host name (optionally with a port). */
export type AllowEntry =
  | { kind: "cidr"; text: string; list: net.BlockList }
  | { kind: "address"; text: string; list: net.BlockList; port: number | null }
  | { kind: "host"; text: string; host: string; port: number | null };

const HOST_RE = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;
export const MAX_ALLOW_ENTRY_LENGTH = 300;

function parsePort(text: string): number | string {
  if (!/^\d{1,5}$/.test(text)) return `port "${text}" is not a number`;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : `port ${port} is outside 1..65535`;
}

function addressEntry(text: string, address: string, port: number | null): AllowEntry {
  const list = new net.BlockList();
  list.addAddress(address, net.isIPv6(address) ? "ipv6" : "ipv4");
  return { kind: "address", text, list, port };
}

/**
 * Parses one allow-list entry: `10.0.0.0/8`, `fd00::/8`, `192.168.1.5`, `192.168.1.5:8080`, `::1`,
 * `[::1]:8080`, `hooks.lan`, `hooks.lan:8080`. Returns the entry or a message saying what is wrong.
 */
export function parseAllowEntry(raw: string): AllowEntry | string {
  const text = raw.trim();
  if (text === "") return "an allow-list entry is empty";
  if (text.length > MAX_ALLOW_ENTRY_LENGTH) return `allow-list entry is longer than ${MAX_ALLOW_ENTRY_LENGTH} characters`;
  if (text.includes("/")) {
    const slash = text.lastIndexOf("/");
    const address = text.slice(0, slash);
    const prefixText = text.slice(slash + 1);
    const version = net.isIP(address);
    if (version === 0) return `"${text}": ${JSON.stringify(address)} is not an IP address (CIDR entries look like 10.0.0.0/8 or fd00::/8)`;
    const max = version === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return `"${text}": the prefix length must be 0..${max}`;
    const list = new net.BlockList();
    list.addSubnet(address, Number(prefixText), version === 4 ? "ipv4" : "ipv6");
    return { kind: "cidr", text, list };
  }
  if (text.startsWith("[")) {
    const match = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
    if (!match || !net.isIPv6(match[1] ?? "")) return `"${text}": expected [IPv6 address] or [IPv6 address]:port`;
    const port = match[2] === undefined ? null : parsePort(match[2]);
    if (typeof port === "string") return `"${text}": ${port}`;
    return addressEntry(text, match[1]!, port);
  }
  if (net.isIP(text)) return addressEntry(text, text, null);
  const colon = text.lastIndexOf(":");
  const hostText = colon === -1 ? text : text.slice(0, colon);
  let port: number | null = null;
  if (colon !== -1) {
    const parsed = parsePort(text.slice(colon + 1));
    if (typeof parsed === "string") return `"${text}": ${parsed}`;
    port = parsed;
  }
  if (net.isIPv4(hostText)) return addressEntry(text, hostText, port);
  const host = normalizeHost(hostText);
  if (!HOST_RE.test(host)) return `"${text}": expected a host name, host:port, IP address or CIDR range`;
  return { kind: "host", text, host, port };
}

/** Parses entries, dropping (fail closed) any that do not parse. */
export function compileAllowList(entries: readonly string[]): AllowEntry[] {
  return entries.map(parseAllowEntry).filter((e): e is AllowEntry => typeof e !== "string");
}

/** Problems with `entries`, one message per bad entry (empty when all are valid). */
export function allowListProblems(entries: readonly string[]): string[] {
  return entries.map(parseAllowEntry).filter((e): e is string => typeof e === "string");
}

/** Splits an operator's list (`STAPLE_OUTBOUND_ALLOW="10.0.0.0/8, hooks.lan:8080"`) on commas and whitespace. */
export function splitAllowList(text: string | undefined): string[] {
  return (text ?? "").split(/[\s,]+/).filter((s) => s !== "");
}

function normalizeHost(host: string): string {
  return host
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
}

export class OutboundBlockedError extends Error {
  readonly code = "outbound_blocked";
  constructor(
    /** host[:port] as the caller asked for it. */
    readonly destination: string,
    readonly address: string,
    readonly reason: BlockReason | "unsupported scheme",
    message: string,
  ) {
    super(message);
    this.name = "OutboundBlockedError";
  }
}

export interface ApprovedDestination {
  /** Host name without brackets, as the request should name it (Host header, TLS SNI). */
  hostname: string;
  port: number;
  /** The one checked address the connection must go to. */
  address: string;
  family: 4 | 6;
}

export type LookupAll = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

const systemLookup: LookupAll = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/**
 * Resolves `url`'s host and approves one address to connect to, or throws OutboundBlockedError naming
 * the host and why. DNS failures are thrown as the resolver reported them (not as blocked).
 */
export async function checkDestination(
  url: URL,
  allow: readonly AllowEntry[],
  lookup: LookupAll = systemLookup,
): Promise<ApprovedDestination> {
  const hostname = normalizeHost(url.hostname);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new OutboundBlockedError(
      url.host,
      "",
      "unsupported scheme",
      `outbound call to ${url.href} refused: only http and https are allowed`,
    );
  }
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  const destination = `${url.hostname}:${port}`;
  const literal = net.isIP(hostname);
  const addresses = literal ? [{ address: hostname, family: literal }] : await lookup(hostname);
  if (addresses.length === 0) throw new Error(`${hostname} did not resolve to any address`);
  const hostAllowed = allow.some((e) => e.kind === "host" && e.host === hostname && (e.port === null || e.port === port));
  if (!hostAllowed) {
    for (const { address } of addresses) {
      const reason = classifyAddress(address);
      if (reason === null || addressAllowed(allow, address, port)) continue;
      const what = literal ? `${address} is` : `${hostname} resolves to ${address},`;
      throw new OutboundBlockedError(destination, address, reason, `outbound call to ${destination} refused: ${what} a ${reason} address`);
    }
  }
  const first = addresses[0]!;
  return { hostname, port, address: first.address, family: first.family === 6 ? 6 : 4 };
}

function addressAllowed(allow: readonly AllowEntry[], address: string, port: number): boolean {
  const bare = address.split("%")[0] ?? "";
  const family: Family = net.isIPv6(bare) ? "ipv6" : "ipv4";
  return allow.some((e) => {
    if (e.kind === "cidr") return e.list.check(bare, family);
    if (e.kind === "address") return (e.port === null || e.port === port) && e.list.check(bare, family);
    return false;
  });
}
