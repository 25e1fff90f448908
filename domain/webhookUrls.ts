import { BlockList, isIP } from "node:net";
import type { Environment } from "./environment.js";

/**
 * Where webhooks of one environment may go. Merchants choose the URL, so without this a webhook
 * could reach the server's own network (loopback, the private LAN, cloud metadata at 169.254.169.254).
 */
export interface WebhookUrlPolicy {
  /** Loopback, private, link-local and other non-public addresses are allowed (by default, nowhere). */
  allowPrivate: boolean;
  /** Only https URLs (live). */
  httpsOnly: boolean;
}

/**
 * Per environment. By default neither may: every merchant holds a sandbox key, so a sandbox webhook
 * to a private address would let any of them make the server call its own network and read the
 * answer back in the delivery log. A server for one developer allows the sandbox (local receivers).
 */
export type PrivateAddressesAllowed = Record<Environment, boolean>;

export const defaultPrivateAddressesAllowed: PrivateAddressesAllowed = { test: false, live: false };

export function webhookUrlPolicy(
  env: Environment,
  allowed: PrivateAddressesAllowed = defaultPrivateAddressesAllowed,
): WebhookUrlPolicy {
  return { allowPrivate: allowed[env], httpsOnly: env === "live" };
}

type AddressKind =
  | "unspecified"
  | "loopback"
  | "private"
  | "shared"
  | "link-local"
  | "unique-local"
  | "multicast"
  | "reserved";

/** IPv4 ranges that are not the public internet, with what they are. */
const ipv4Ranges: readonly [string, number, AddressKind][] = [
  ["0.0.0.0", 8, "unspecified"],
  ["127.0.0.0", 8, "loopback"],
  ["10.0.0.0", 8, "private"],
  ["172.16.0.0", 12, "private"],
  ["192.168.0.0", 16, "private"],
  ["100.64.0.0", 10, "shared"],
  ["169.254.0.0", 16, "link-local"],
  ["224.0.0.0", 4, "multicast"],
  ["192.0.0.0", 24, "reserved"],
  ["192.0.2.0", 24, "reserved"],
  ["198.18.0.0", 15, "reserved"],
  ["198.51.100.0", 24, "reserved"],
  ["203.0.113.0", 24, "reserved"],
  ["240.0.0.0", 4, "reserved"],
];

const ipv6Ranges: readonly [string, number, AddressKind][] = [
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["fc00::", 7, "unique-local"],
  ["fe80::", 10, "link-local"],
  ["fec0::", 10, "link-local"],
  ["ff00::", 8, "multicast"],
  ["100::", 64, "reserved"],
  ["2001:db8::", 32, "reserved"],
];

/**
 * IPv6 forms that carry an IPv4 address, so each IPv4 range is refused in them too: IPv4-mapped
 * (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d).
 */
const embeddingPrefixes = ["::ffff:", "::", "64:ff9b::"];

// Checked in this order: ::1 is loopback before it is IPv4-compatible 0.0.0.1.
const kinds: readonly AddressKind[] = [
  "loopback",
  "unspecified",
  "private",
  "shared",
  "link-local",
  "unique-local",
  "multicast",
  "reserved",
];
const blockLists = new Map(kinds.map((kind) => [kind, new BlockList()]));
const blockListOf = (kind: AddressKind) => blockLists.get(kind) as BlockList;
for (const [network, prefix, kind] of ipv4Ranges) {
  blockListOf(kind).addSubnet(network, prefix, "ipv4");
  for (const embedding of embeddingPrefixes) {
    blockListOf(kind).addSubnet(`${embedding}${network}`, 96 + prefix, "ipv6");
  }
}
for (const [network, prefix, kind] of ipv6Ranges) blockListOf(kind).addSubnet(network, prefix, "ipv6");

/** 6to4 (2002:AABB:CCDD::/48) carries the IPv4 address AA.BB.CC.DD. */
function sixToFourIpv4(address: string): string | null {
  const groups = address.toLowerCase().split(":");
  if (groups[0] !== "2002" || groups.length < 3) return null;
  const high = parseInt(groups[1] || "0", 16);
  const low = parseInt(groups[2] || "0", 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
}

function listedKind(address: string, type: "ipv4" | "ipv6"): AddressKind | null {
  for (const [kind, list] of blockLists) if (list.check(address, type)) return kind;
  return null;
}

/** What kind of non-public address `address` (an IP literal) is; null when it is public. */
export function nonPublicAddressKind(address: string): AddressKind | null {
  const family = isIP(address);
  if (family === 0) return "reserved";
  if (family === 4) return listedKind(address, "ipv4");
  const embedded = sixToFourIpv4(address);
  return listedKind(address, "ipv6") ?? (embedded === null ? null : listedKind(embedded, "ipv4"));
}

/** Why webhooks may not go to `address` under `policy`; null when they may. */
export function addressRefusal(address: string, policy: WebhookUrlPolicy): string | null {
  if (policy.allowPrivate) return null;
  const kind = nonPublicAddressKind(address);
  return kind === null ? null : `${address} is a ${kind} address`;
}

/** The host of a URL as `net.connect` takes it: IPv6 literals without their brackets. */
export function bareHostname(url: URL): string {
  return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * Why webhooks may not go to `raw`, judged from the URL alone (its scheme, and its host when that
 * is an address or a `localhost` name); null when they may. Host names are checked again, resolved,
 * when each request connects.
 */
export function webhookUrlRefusal(raw: string, policy: WebhookUrlPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a valid URL";
  }
  if (url.protocol !== "https:" && (policy.httpsOnly || url.protocol !== "http:")) {
    return policy.httpsOnly ? "live webhook URLs must use https" : "webhook URLs must use http or https";
  }
  const host = bareHostname(url);
  if (isIP(host)) return addressRefusal(host, policy);
  // RFC 6761: localhost names are loopback whatever DNS says.
  const name = host.toLowerCase().replace(/\.$/, "");
  if (!policy.allowPrivate && (name === "localhost" || name.endsWith(".localhost"))) {
    return `${host} is a loopback address`;
  }
  return null;
}
