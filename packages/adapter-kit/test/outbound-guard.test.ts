import { describe, expect, it } from "vitest";
import {
  allowListProblems,
  checkDestination,
  classifyAddress,
  compileAllowList,
  OutboundBlockedError,
  parseAllowEntry,
  splitAllowList,
  type LookupAll,
} from "../src/index.js";

describe("classifyAddress", () => {
  const table: Array<[string, string | null]> = [
    // IPv4
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["169.254.169.254", "cloud metadata"],
    ["100.100.100.200", "cloud metadata"],
    ["169.254.1.1", "link-local"],
    ["10.0.0.1", "private"],
    ["10.255.255.255", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "shared (CGNAT)"],
    ["100.127.255.255", "shared (CGNAT)"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
    ["192.0.2.10", "reserved"],
    ["198.18.0.1", "reserved"],
    // public neighbours of the ranges above
    ["8.8.8.8", null],
    ["1.1.1.1", null],
    ["172.15.255.255", null],
    ["172.32.0.0", null],
    ["100.63.255.255", null],
    ["100.128.0.0", null],
    ["169.253.255.255", null],
    ["11.0.0.1", null],
    ["193.0.0.1", null],
    // IPv6
    ["::1", "loopback"],
    ["0:0:0:0:0:0:0:1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["febf::1", "link-local"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["fd00:ec2::254", "cloud metadata"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "reserved"],
    ["2606:4700:4700::1111", null],
    ["2001:4860:4860::8888", null],
    // IPv4 embedded in IPv6: mapped, NAT64, IPv4-compatible
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::FFFF:169.254.169.254", "cloud metadata"],
    ["::ffff:a9fe:a9fe", "cloud metadata"],
    ["::ffff:10.1.2.3", "private"],
    ["::ffff:8.8.8.8", null],
    ["64:ff9b::127.0.0.1", "loopback"],
    ["64:ff9b::a00:1", "private"],
    ["64:ff9b::808:808", null],
    ["::127.0.0.1", "loopback"],
    ["::192.168.0.1", "private"],
    // not an IP at all
    ["localhost", "reserved"],
    ["", "reserved"],
  ];
  it.each(table)("%s -> %s", (address, reason) => {
    expect(classifyAddress(address)).toBe(reason);
  });
});

describe("parseAllowEntry", () => {
  const valid: Array<[string, string]> = [
    ["10.0.0.0/8", "cidr"],
    ["fd00::/8", "cidr"],
    ["127.0.0.1/32", "cidr"],
    ["192.168.1.5", "address"],
    ["192.168.1.5:8080", "address"],
    ["::1", "address"],
    ["[::1]:8080", "address"],
    ["hooks.lan", "host"],
    ["Hooks.LAN:8080", "host"],
    ["localhost:3100", "host"],
    ["my_host.internal.", "host"],
  ];
  it.each(valid)("%s is a %s entry", (text, kind) => {
    const entry = parseAllowEntry(text);
    expect(typeof entry === "string" ? entry : entry.kind).toBe(kind);
  });

  const invalid = [
    "",
    "  ",
    "10.0.0.0/33",
    "::/129",
    "nothost/8",
    "hooks.lan:0",
    "hooks.lan:70000",
    "hooks.lan:http",
    "[::1",
    "[nope]:80",
    "a b",
    "http://hooks.lan",
    "-bad.lan",
    "x".repeat(400),
  ];
  it.each(invalid)("%j is refused with a message", (text) => {
    const entry = parseAllowEntry(text);
    expect(typeof entry).toBe("string");
  });

  it("lists one problem per bad entry and splits operator lists", () => {
    expect(allowListProblems(["10.0.0.0/8", "bad entry", "hooks.lan:99999"])).toHaveLength(2);
    expect(splitAllowList(" 10.0.0.0/8, hooks.lan:8080\n[::1]:9 ")).toEqual(["10.0.0.0/8", "hooks.lan:8080", "[::1]:9"]);
    expect(splitAllowList(undefined)).toEqual([]);
  });
});

describe("checkDestination", () => {
  const resolver =
    (table: Record<string, string[]>): LookupAll =>
    async (host) => {
      const addresses = table[host];
      if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
      return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
    };
  const lookup = resolver({
    "public.test": ["93.184.215.14"],
    "mixed.test": ["93.184.215.14", "10.0.0.7"],
    "lan.test": ["192.168.7.7"],
    "meta.test": ["169.254.169.254"],
    "v6.test": ["::ffff:127.0.0.1"],
  });
  const refused = async (url: string, allow: string[] = []) => {
    const error = await checkDestination(new URL(url), compileAllowList(allow), lookup).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error, url).toBeInstanceOf(OutboundBlockedError);
    return error as OutboundBlockedError;
  };

  it("approves a public host and returns the address to connect to", async () => {
    expect(await checkDestination(new URL("https://public.test/x"), [], lookup)).toEqual({
      hostname: "public.test",
      port: 443,
      address: "93.184.215.14",
      family: 4,
    });
  });

  it("refuses when any resolved address is not public, naming host, address and reason", async () => {
    const error = await refused("http://mixed.test:8080/");
    expect(error.message).toBe("outbound call to mixed.test:8080 refused: mixed.test resolves to 10.0.0.7, a private address");
    expect((await refused("http://meta.test/")).reason).toBe("cloud metadata");
    expect((await refused("http://v6.test/")).reason).toBe("loopback");
    expect((await refused("http://169.254.169.254/latest/meta-data")).message).toBe(
      "outbound call to 169.254.169.254:80 refused: 169.254.169.254 is a cloud metadata address",
    );
    expect((await refused("http://[::1]:3100/")).reason).toBe("loopback");
    expect((await refused("http://[::ffff:7f00:1]/")).reason).toBe("loopback");
    expect((await refused("ftp://public.test/")).reason).toBe("unsupported scheme");
  });

  it("lets the allow-list through by exact host[:port], address[:port] or CIDR, and nothing more", async () => {
    expect((await checkDestination(new URL("http://lan.test:8080/"), compileAllowList(["lan.test:8080"]), lookup)).address).toBe(
      "192.168.7.7",
    );
    expect((await checkDestination(new URL("http://LAN.test./"), compileAllowList(["lan.test"]), lookup)).address).toBe("192.168.7.7");
    expect((await checkDestination(new URL("http://lan.test/"), compileAllowList(["192.168.0.0/16"]), lookup)).address).toBe("192.168.7.7");
    expect((await checkDestination(new URL("http://lan.test:81/"), compileAllowList(["192.168.7.7:81"]), lookup)).address).toBe(
      "192.168.7.7",
    );
    expect((await checkDestination(new URL("http://[::1]:9/"), compileAllowList(["[::1]:9"]), lookup)).address).toBe("::1");
    await refused("http://lan.test:8081/", ["lan.test:8080"]);
    await refused("http://lan.test:82/", ["192.168.7.7:81"]);
    await refused("http://lan.test/", ["10.0.0.0/8"]);
    await refused("http://mixed.test/", ["public.test"]);
    await refused("http://lan.test/", ["bad entry", "192.168.7.7/40"]); // invalid entries allow nothing
  });

  it("passes resolver failures through as they are (not as blocked)", async () => {
    await expect(checkDestination(new URL("http://missing.test/"), [], lookup)).rejects.toThrow(/ENOTFOUND/);
  });
});
