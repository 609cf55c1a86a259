// Which peer's X-Forwarded-For names the real client. Only a configured proxy (the ingress
// controller) is believed: from any other peer the header is the client's own text and is
// ignored, so the address every per-source limit keys on cannot be forged.
import ipaddr from "ipaddr.js";
import { parseCidrs, type CidrRange } from "./ssrf.js";

/** Addresses and CIDR ranges; a bare address stands for itself alone. */
export function parseTrustedProxies(entries: readonly string[]): CidrRange[] {
  return parseCidrs(
    entries.map((entry) => {
      if (entry.includes("/")) return entry;
      if (!ipaddr.isValid(entry)) throw new Error(`'${entry}' is neither an address nor a CIDR range`);
      return `${entry}/${ipaddr.parse(entry).kind() === "ipv6" ? 128 : 32}`;
    }),
  );
}

function normalized(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (!ipaddr.isValid(address)) return undefined;
  const parsed = ipaddr.parse(address);
  // A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d.
  return parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()
    ? (parsed as ipaddr.IPv6).toIPv4Address()
    : parsed;
}

/**
 * fastify's trustProxy: walking from the socket's peer leftwards through X-Forwarded-For, each
 * hop is believed while it is a trusted proxy; the first untrusted one is the client. With no
 * proxies configured nothing is believed.
 */
export function trustProxyFunction(proxies: readonly CidrRange[]): false | ((address: string) => boolean) {
  if (proxies.length === 0) return false;
  return (address) => {
    const parsed = normalized(address);
    return (
      parsed !== undefined &&
      proxies.some(([range, bits]) => parsed.kind() === range.kind() && parsed.match(range, bits))
    );
  };
}
