// OAuth 2.0 Protected Resource Metadata (RFC 9728) for the /mcp resource.
import type { FastifyInstance } from "fastify";
import { ROLES, scopeOf } from "../access/roles.js";
import type { AuthOptions } from "./options.js";

const WELL_KNOWN = "/.well-known/oauth-protected-resource";

/** The metadata URL in its path-inserted form (RFC 9728 section 3.1), for WWW-Authenticate. */
export function resourceMetadataUrl(resourceUrl: string): string {
  const url = new URL(resourceUrl);
  const path = url.pathname === "/" ? "" : url.pathname;
  return `${url.origin}${WELL_KNOWN}${path}`;
}

export function registerResourceMetadata(
  app: FastifyInstance,
  config: { readonly resourceUrl: string; readonly auth: Pick<AuthOptions, "authorizationServers"> },
): void {
  const document = {
    resource: config.resourceUrl,
    authorization_servers: config.auth.authorizationServers,
    scopes_supported: ROLES.map(scopeOf),
    bearer_methods_supported: ["header"],
    resource_name: "mcp-bastion MCP server",
  };
  const resourcePath = new URL(config.resourceUrl).pathname;
  const paths = new Set([WELL_KNOWN, `${WELL_KNOWN}${resourcePath === "/" ? "" : resourcePath}`]);
  for (const path of paths) {
    app.get(path, async (_request, reply) => {
      reply.header("cache-control", "public, max-age=300");
      return document;
    });
  }
}
