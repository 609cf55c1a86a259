// What an /mcp request must pass before the protocol server sees it, per JSON-RPC message:
// the rate limit of the caller (per tool for tools/call), then the tool's permission; and
// then a slot among the caller's requests in flight. Refusals
// here become HTTP statuses clients understand (429, 403 insufficient_scope) and are audited.
// The permission is the matrix's (access/permissions.ts), asked early for the 403; the registry
// asks it again for every call, so this is not the only place a role is checked.
import type { Principal } from "../auth/authenticator.js";
import { AuthorizationError } from "../auth/errors.js";
import { roleSatisfies, scopeOf } from "../access/roles.js";
import { RateLimitedError, type ConcurrencyLimiter, type RateLimiter } from "../guards/rate-limit.js";
import { RateLimitStoreUnavailableError } from "../guards/rate-limit-redis.js";
import type { Auditor } from "../telemetry/audit.js";
import type { ToolRegistry } from "./registry.js";

interface JsonRpcMessage {
  method?: unknown;
  params?: { name?: unknown };
}

/** Checks a request; when it may proceed, returns the function that ends it (frees its slot). */
export type RequestGuard = (principal: Principal, body: unknown) => Promise<() => void>;

export function createRequestGuard(deps: {
  registry: ToolRegistry;
  rateLimiter: RateLimiter;
  concurrency: ConcurrencyLimiter;
  auditor: Auditor;
}): RequestGuard {
  const { registry, rateLimiter, concurrency, auditor } = deps;
  return async (principal, body) => {
    const messages = (Array.isArray(body) ? body : [body]) as Array<JsonRpcMessage | null | undefined>;
    for (const message of messages) {
      const tool =
        message?.method === "tools/call" && typeof message.params?.name === "string"
          ? message.params.name.slice(0, 128)
          : undefined;
      try {
        await rateLimiter.check(principal.sub, principal.role, tool);
      } catch (error) {
        if (error instanceof RateLimitedError) {
          auditor.record({
            kind: "rate_limit",
            decision: "deny",
            principal: principal.sub,
            role: principal.role,
            tool,
            reason: "rate_limited",
          });
        } else if (error instanceof RateLimitStoreUnavailableError) {
          auditor.record({
            kind: "rate_limit",
            decision: "deny",
            principal: principal.sub,
            role: principal.role,
            tool,
            reason: "rate_limit_store_unavailable",
          });
        }
        throw error;
      }
      if (tool === undefined) continue;
      const needed = registry.roleFor(tool);
      if (needed !== undefined && !roleSatisfies(principal.role, needed)) {
        registry.auditRefusal(principal, tool, "insufficient_scope");
        throw new AuthorizationError("insufficient_scope", `tool ${tool} needs role ${needed}`, scopeOf(needed));
      }
    }
    try {
      return concurrency.acquire(principal.sub);
    } catch (error) {
      auditor.record({
        kind: "rate_limit",
        decision: "deny",
        principal: principal.sub,
        role: principal.role,
        reason: "too_many_concurrent",
      });
      throw error;
    }
  };
}
