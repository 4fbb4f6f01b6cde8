/**
 * Which backend URLs the gateway may be pointed at. Cloud metadata and link-local addresses are never
 * allowed: a registration must not turn the gateway into a proxy for instance credentials. An optional
 * allowlist of host names and CIDR ranges narrows it further.
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
      const host = new URL(raw).hostname.replace(/^\[|\]$/g, "").toLowerCase();
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
        if (blocked.check(address, family)) return `${host} resolves to ${address}, a link-local or metadata address`;
      }
      if (allowlist.length === 0) return undefined;
      if (nameAllowed(host)) return undefined;
      if (addresses.length > 0 && addresses.every(addressAllowed)) return undefined;
      return `${host} is not in BACKEND_ALLOWLIST`;
    },
  };
}
