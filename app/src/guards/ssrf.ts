// SSRF checks for outbound fetches, as pure functions of a URL, its resolved addresses and the
// policy. Only global unicast addresses pass, unless an operator allows a CIDR explicitly. A
// refusal names the rule ("blocked: private address 10.0.0.0/8").
import ipaddr from "ipaddr.js";

export type CidrRange = [ipaddr.IPv4 | ipaddr.IPv6, number];

export interface FetchPolicy {
  /** Ports a URL may name; 80 and 443 unless configured. */
  readonly ports: ReadonlySet<number>;
  /** Host names (exact, or ".suffix") that are always refused. */
  readonly deniedHosts: readonly string[];
  /** When non-empty, only these host names (exact, or ".suffix") are fetched. */
  readonly allowedHosts: readonly string[];
  /** Address ranges an operator allows although they are not public (e.g. an internal API). */
  readonly allowedCidrs: readonly CidrRange[];
}

export class SsrfBlockedError extends Error {
  override readonly name = "SsrfBlockedError";
  constructor(rule: string) {
    super(`blocked: ${rule}`);
  }
}

const METADATA_HOSTS = [
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.azure.internal",
  "kubernetes.default",
  "kubernetes.default.svc",
];

const RANGE_RULES: Record<string, string> = {
  loopback: "loopback address",
  private: "private address",
  linkLocal: "link-local address",
  multicast: "multicast address",
  broadcast: "broadcast address",
  unspecified: "unspecified address",
  reserved: "reserved address",
  carrierGradeNat: "shared address space 100.64.0.0/10",
  uniqueLocal: "unique local address fc00::/7",
  ipv4Mapped: "IPv4-mapped IPv6 address",
  rfc6145: "IPv4-translated IPv6 address",
  rfc6052: "NAT64 address 64:ff9b::/96",
  "6to4": "6to4 address 2002::/16",
  teredo: "Teredo address 2001::/32",
  as112: "AS112 address",
  orchid2: "ORCHID address",
  amt: "AMT address",
  benchmarking: "benchmarking address",
  discard: "discard-only address",
  deprecated: "deprecated address",
};

const NAMED_RANGES: Array<[string, string]> = [
  ["10.0.0.0/8", "private address 10.0.0.0/8"],
  ["172.16.0.0/12", "private address 172.16.0.0/12"],
  ["192.168.0.0/16", "private address 192.168.0.0/16"],
  ["127.0.0.0/8", "loopback address 127.0.0.0/8"],
  ["169.254.0.0/16", "link-local address 169.254.0.0/16 (cloud metadata)"],
  ["0.0.0.0/8", "this-network address 0.0.0.0/8"],
  ["fe80::/10", "link-local address fe80::/10"],
];

/** The URL's host, lower-case, without a trailing dot or IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname
    .toLowerCase()
    .replace(/\.$/, "")
    .replace(/^\[(.*)\]$/, "$1");
}

function hostMatches(host: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) =>
    pattern.startsWith(".") ? host.endsWith(pattern) || host === pattern.slice(1) : host === pattern,
  );
}

/** Checks what can be checked before resolving: scheme, credentials, port, host name rules. */
export function checkUrl(raw: string, policy: FetchPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SsrfBlockedError("not a valid absolute URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new SsrfBlockedError(`scheme ${url.protocol.replace(":", "")} is not http or https`);
  if (url.username || url.password) throw new SsrfBlockedError("credentials in the URL (userinfo) are not allowed");
  const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
  if (!policy.ports.has(port)) throw new SsrfBlockedError(`port ${port} is not allowed`);
  const host = hostOf(url);
  if (host === "") throw new SsrfBlockedError("no host");
  if (host === "localhost" || host.endsWith(".localhost")) throw new SsrfBlockedError("loopback name localhost");
  if (hostMatches(host, METADATA_HOSTS) || host.endsWith(".internal"))
    throw new SsrfBlockedError(`cloud metadata or internal name ${host}`);
  if (hostMatches(host, policy.deniedHosts)) throw new SsrfBlockedError(`host ${host} is on the deny list`);
  if (policy.allowedHosts.length > 0 && !hostMatches(host, policy.allowedHosts))
    throw new SsrfBlockedError(`host ${host} is not on the allow list`);
  return url;
}

/** Throws unless the address is a global unicast one, or inside an operator-allowed range. */
export function checkAddress(address: string, policy: FetchPolicy): void {
  if (!ipaddr.isValid(address)) throw new SsrfBlockedError(`unparseable address ${address}`);
  const parsed = ipaddr.parse(address);
  for (const cidr of policy.allowedCidrs) {
    if (parsed.kind() === cidr[0].kind() && parsed.match(cidr)) return;
  }
  for (const [cidr, rule] of NAMED_RANGES) {
    const range = ipaddr.parseCIDR(cidr);
    if (parsed.kind() === range[0].kind() && parsed.match(range)) throw new SsrfBlockedError(rule);
  }
  if (parsed.kind() === "ipv6") {
    const v6 = parsed as ipaddr.IPv6;
    // ::a.b.c.d (IPv4-compatible, deprecated) hides an IPv4 address in the low bits.
    if (v6.parts.slice(0, 6).every((part) => part === 0) && !(v6.parts[6] === 0 && (v6.parts[7] ?? 0) <= 1)) {
      throw new SsrfBlockedError("IPv4-compatible IPv6 address");
    }
  }
  const range = parsed.range();
  if (range !== "unicast") throw new SsrfBlockedError(RANGE_RULES[range] ?? `${range} address`);
}

export function parseCidrs(values: readonly string[]): CidrRange[] {
  return values.map((value) => {
    try {
      return ipaddr.parseCIDR(value);
    } catch {
      throw new Error(`'${value}' is not a CIDR range`);
    }
  });
}
