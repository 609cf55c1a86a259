// fetch_url (operator): HTTP(S) GET behind the SSRF guard. The host is resolved once, every
// address is checked, and the connection goes to the checked address (no second lookup a
// rebinding DNS server could answer differently). Redirects are followed by hand, each hop
// checked again; the body is capped, the time bounded, the content type allowlisted.
import { lookup as dnsLookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { z } from "zod";
import { checkAddress, checkUrl, hostOf, SsrfBlockedError, type FetchPolicy } from "../guards/ssrf.js";
import { defineTool, errorResult, textResult, type ToolDefinition } from "../mcp/registry.js";

export type Resolver = (host: string) => Promise<Array<{ address: string; family: number }>>;

export const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

export interface FetchOptions {
  policy: FetchPolicy;
  resolve: Resolver;
  timeoutMs: number;
  maxBytes: number;
  /** Allowed media types; "text/*" allows every text type. */
  contentTypes: readonly string[];
  maxRedirects?: number;
}

export interface FetchOutcome {
  url: string;
  status: number;
  contentType: string;
  body: string;
  truncated: boolean;
  redirects: number;
}

async function checkedAddress(url: URL, options: FetchOptions): Promise<{ address: string; family: number }> {
  const host = hostOf(url);
  const literal = isIP(host);
  const addresses = literal
    ? [{ address: host, family: literal }]
    : await options.resolve(host).catch(() => {
        throw new SsrfBlockedError(`host ${host} does not resolve`);
      });
  if (addresses.length === 0) throw new SsrfBlockedError(`host ${host} does not resolve`);
  for (const { address } of addresses) checkAddress(address, options.policy); // every answer, not just the first
  return addresses[0] as { address: string; family: number };
}

function contentTypeAllowed(header: string | undefined, allowed: readonly string[]): string | undefined {
  const type = (header ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "") return undefined;
  return allowed.some((pattern) => (pattern.endsWith("/*") ? type.startsWith(pattern.slice(0, -1)) : type === pattern))
    ? type
    : undefined;
}

function getOnce(url: URL, target: { address: string; family: number }, options: FetchOptions, signal: AbortSignal) {
  return new Promise<{ status: number; location?: string; contentType?: string; body: Buffer; truncated: boolean }>(
    (resolve, reject) => {
      const client = url.protocol === "https:" ? https : http;
      const request = client.request(
        url,
        {
          method: "GET",
          headers: { accept: options.contentTypes.join(", "), "user-agent": "mcp-bastion-fetch" },
          // Connect to the address that was checked, whatever DNS would say now.
          lookup: (_host, lookupOptions, callback) => {
            if ((lookupOptions as { all?: boolean }).all)
              (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [target]);
            else (callback as (e: null, a: string, f: number) => void)(null, target.address, target.family);
          },
          signal,
          agent: false,
        },
        (response) => {
          const status = response.statusCode ?? 0;
          if (status >= 300 && status < 400 && response.headers.location) {
            response.resume();
            return resolve({ status, location: response.headers.location, body: Buffer.alloc(0), truncated: false });
          }
          const chunks: Buffer[] = [];
          let size = 0;
          let truncated = false;
          response.on("data", (chunk: Buffer) => {
            if (truncated) return;
            const room = options.maxBytes - size;
            if (chunk.length > room) {
              chunks.push(chunk.subarray(0, room));
              size += room;
              truncated = true;
              response.destroy(); // stop reading: the rest is never downloaded
              return resolve({
                status,
                contentType: response.headers["content-type"],
                body: Buffer.concat(chunks),
                truncated,
              });
            }
            chunks.push(chunk);
            size += chunk.length;
          });
          response.on("end", () =>
            resolve({ status, contentType: response.headers["content-type"], body: Buffer.concat(chunks), truncated }),
          );
          response.on("error", reject);
        },
      );
      request.on("error", reject);
      request.end();
    },
  );
}

export async function safeFetch(raw: string, options: FetchOptions): Promise<FetchOutcome> {
  const maxRedirects = options.maxRedirects ?? 5;
  const signal = AbortSignal.timeout(options.timeoutMs);
  let url = checkUrl(raw, options.policy);
  for (let redirects = 0; ; redirects++) {
    const target = await checkedAddress(url, options);
    let response;
    try {
      response = await getOnce(url, target, options, signal);
    } catch (error) {
      if (signal.aborted) throw new SsrfBlockedError(`no answer within ${options.timeoutMs} ms`);
      throw error;
    }
    if (response.location !== undefined) {
      if (redirects >= maxRedirects) throw new SsrfBlockedError(`more than ${maxRedirects} redirects`);
      url = checkUrl(new URL(response.location, url).toString(), options.policy);
      continue;
    }
    const contentType = contentTypeAllowed(response.contentType, options.contentTypes);
    if (contentType === undefined)
      throw new SsrfBlockedError(`content type ${response.contentType ?? "(none)"} is not allowed`);
    return {
      url: url.toString(),
      status: response.status,
      contentType,
      body: response.body.toString("utf8"),
      truncated: response.truncated,
      redirects,
    };
  }
}

export function fetchTool(options: FetchOptions): ToolDefinition {
  return defineTool({
    name: "fetch_url",
    title: "Fetch a URL",
    description:
      "HTTP(S) GET of a public URL. Private, loopback, link-local and metadata addresses are refused, every redirect is checked, and the body is capped.",
    inputSchema: z.object({ url: z.string().min(1).max(2048) }).strict(),
    annotations: { readOnlyHint: true, openWorldHint: true },
    handler: async ({ url }) => {
      try {
        return textResult(await safeFetch(url, options));
      } catch (error) {
        if (error instanceof SsrfBlockedError) return errorResult(error.message);
        return errorResult(`fetch failed: ${(error as NodeJS.ErrnoException).code ?? (error as Error).name}`);
      }
    },
  });
}
