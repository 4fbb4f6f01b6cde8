/**
 * Which backend URLs the gateway may be pointed at. Cloud metadata and link-local addresses are never
 * allowed: a registration must not turn the gateway into a proxy for instance credentials. An optional
 * allowlist of host names and CIDR ranges narrows it further.
 *
 * IPv6 addresses that carry an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) are checked for the
 * IPv4 address inside too, since the network may deliver them there. Other spellings of IPv4 (decimal,
 * octal, hexadecimal) need nothing here: the URL parser already writes them as dotted quads.
 */

import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

export interface UrlPolicy {
  /** Resolves the URL's host and returns why it is refused, or undefined when it is allowed. */
  check(url: string): Promise<string | undefined>;
}

const METADATA_HOSTS = new Set([
  "metadata.google.internal",
  "metadata.goog",
  "metadata",
  "instance-data",
  "instance-data.ec2.internal",
]);

function alwaysBlocked(): BlockList {
  const list = new BlockList();
  list.addSubnet("169.254.0.0", 16, "ipv4"); // link-local, incl. 169.254.169.254 metadata
  list.addAddress("100.100.100.200", "ipv4"); // Alibaba Cloud metadata
  list.addAddress("0.0.0.0", "ipv4");
  list.addSubnet("fe80::", 10, "ipv6"); // link-local
  list.addSubnet("fd00:ec2::", 32, "ipv6"); // AWS metadata over IPv6
  list.addAddress("::", "ipv6");
  return list;
}

export type Resolve = (host: string) => Promise<string[]>;

const resolveAll: Resolve = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/**
 * @param allowlist entries from BACKEND_ALLOWLIST: host names (`shopping-service`, `*.internal.example`)
 *   or CIDR ranges (`10.0.0.0/8`, `fd00::/8`). Empty means any host that is not always blocked.
 */
export function createUrlPolicy(allowlist: readonly string[], resolve: Resolve = resolveAll): UrlPolicy {
  const blocked = alwaysBlocked();
  const allowedRanges = new BlockList();
  const allowedNames: string[] = [];
  for (const entry of allowlist) {
    const [base, bits] = entry.split("/");
    const family = base ? isIP(base) : 0;
    if (!base || !family) allowedNames.push(entry.toLowerCase());
    else if (bits !== undefined) allowedRanges.addSubnet(base, Number(bits), family === 4 ? "ipv4" : "ipv6");
    else allowedRanges.addAddress(base, family === 4 ? "ipv4" : "ipv6");
  }

  const nameAllowed = (host: string) =>
    allowedNames.some((pattern) => (pattern.startsWith("*.") ? host.endsWith(pattern.slice(1)) : host === pattern));
  const addressAllowed = (address: string) => allowedRanges.check(address, isIP(address) === 4 ? "ipv4" : "ipv6");

  return {
    async check(raw) {
      // A trailing dot names the same host as an absolute DNS name.
      const host = new URL(raw).hostname
        .replace(/^\[|\]$/g, "")
        .toLowerCase()
        .replace(/\.+$/, "");
      if (METADATA_HOSTS.has(host)) return `${host} is a cloud metadata endpoint`;
      let addresses: string[];
      try {
        addresses = isIP(host) ? [host] : await resolve(host);
      } catch {
        // Unresolvable hosts fail later, at discovery, with the network's own error.
        addresses = [];
      }
      for (const address of addresses) {
        const family = isIP(address) === 4 ? "ipv4" : "ipv6";
        const inside = family === "ipv6" ? embeddedIpv4(address) : [];
        if (blocked.check(address, family) || inside.some((v4) => blocked.check(v4, "ipv4")))
          return `${host} resolves to ${address}, a link-local or metadata address`;
      }
      if (allowlist.length === 0) return undefined;
      if (nameAllowed(host)) return undefined;
      if (addresses.length > 0 && addresses.every(addressAllowed)) return undefined;
      return `${host} is not in BACKEND_ALLOWLIST`;
    },
  };
}

/** The 16-bit groups of an IPv6 address, a trailing dotted IPv4 part included; undefined when malformed. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : undefined;
}

const ipv4Of = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;

/** The IPv4 addresses an IPv6 address carries by one of the standard embeddings, if any. */
function embeddedIpv4(address: string): string[] {
  const g = ipv6Groups(address);
  if (!g) return [];
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const found: string[] = [];
  const zeroTo = (end: number) => g.slice(0, end).every((x) => x === 0);
  // ::a.b.c.d (compatible), ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (SIIT)
  if (zeroTo(5) && (g5 === 0 || g5 === 0xffff)) found.push(ipv4Of(g6, g7));
  if (zeroTo(4) && g4 === 0xffff && g5 === 0) found.push(ipv4Of(g6, g7));
  // 64:ff9b::/96 (NAT64) and 64:ff9b:1::/48 (local-use NAT64, whose common /96 form ends in the address)
  if (g0 === 0x64 && g1 === 0xff9b) found.push(ipv4Of(g6, g7));
  // 2002:AABB:CCDD::/48 (6to4)
  if (g0 === 0x2002) found.push(ipv4Of(g1, g2));
  // 2001:0000::/32 (Teredo): the server's address, and the client's, stored inverted
  if (g0 === 0x2001 && g1 === 0) found.push(ipv4Of(g2, g3), ipv4Of(g6 ^ 0xffff, g7 ^ 0xffff));
  return found;
}
