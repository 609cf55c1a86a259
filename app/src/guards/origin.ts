// DNS-rebinding and cross-origin protection for /mcp: the Host must be one this server is
// known by, and a browser's Origin (when sent) one of the configured origins. Pure functions.

export interface OriginPolicy {
  /** Normalized origins (scheme://host[:port]) a browser may call from. */
  readonly origins: ReadonlySet<string>;
  /** Lower-case Host header values this server answers to. */
  readonly hosts: ReadonlySet<string>;
}

function normalizeOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    if (url.pathname !== "/" || url.search || url.hash || url.username || url.password) return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/** True when `value` is an origin a browser sends (scheme://host[:port], http or https). */
export function isOrigin(value: string): boolean {
  return normalizeOrigin(value) !== undefined;
}

function hostForms(url: URL): string[] {
  const defaultPort = url.protocol === "https:" ? "443" : "80";
  return url.port ? [url.host] : [url.host, `${url.hostname}:${defaultPort}`];
}

/** Builds the policy from the resource URL, the listen address and configured extra origins. */
export function originPolicy(
  resourceUrl: string,
  listen: { host: string; port: number },
  allowedOrigins: readonly string[],
  allowedHosts: readonly string[] = [],
): OriginPolicy {
  const resource = new URL(resourceUrl);
  const origins = new Set<string>([resource.origin]);
  const hosts = new Set<string>(hostForms(resource));
  hosts.add(`${listen.host}:${listen.port}`.toLowerCase());
  for (const origin of allowedOrigins) {
    const normalized = normalizeOrigin(origin);
    if (normalized === undefined) throw new Error(`'${origin}' is not an origin (scheme://host[:port])`);
    origins.add(normalized);
    for (const host of hostForms(new URL(normalized))) hosts.add(host);
  }
  for (const host of allowedHosts) hosts.add(host.toLowerCase());
  return { origins, hosts };
}

/** 403: the request's Host or Origin is not this server's. */
export class OriginRefusedError extends Error {
  override readonly name = "OriginRefusedError";
}

/** Why a request is refused, or undefined when it may proceed. */
export function originRefusal(
  policy: OriginPolicy,
  host: string | undefined,
  origin: string | undefined,
): string | undefined {
  if (host === undefined || !policy.hosts.has(host.toLowerCase()))
    return "the Host header names no host this server answers to";
  if (origin === undefined) return undefined; // not a browser request
  const normalized = normalizeOrigin(origin);
  if (normalized === undefined || !policy.origins.has(normalized)) return "requests from this Origin are not allowed";
  return undefined;
}
