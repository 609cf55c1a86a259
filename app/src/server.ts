// buildServer(deps): the fastify instance with its plugins and routes in a visible order.
// Nothing here opens a port; main.ts does, so tests use app.inject or listen themselves.
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from "fastify";
import { createAuthenticator, type Principal } from "./auth/authenticator.js";
import {
  AuthenticationError,
  AuthorizationError,
  LockedOutError,
  SecurityStoreUnavailableError,
} from "./auth/errors.js";
import { registerResourceMetadata, resourceMetadataUrl } from "./auth/resource-metadata.js";
import { BadRequestError, registerRevocationRoutes } from "./auth/revocation-routes.js";
import type { SecurityState } from "./auth/security-state.js";
import type { TokenVerifier } from "./auth/token-verifier.js";
import type { Config } from "./config.js";
import { ToolRegistry, type ToolDefinition } from "./mcp/registry.js";
import { createRequestGuard } from "./mcp/request-guard.js";
import { OriginRefusedError, originRefusal } from "./guards/origin.js";
import { registerSecurityHeaders } from "./guards/security-headers.js";
import { trustProxyFunction } from "./guards/trusted-proxy.js";
import { mountMcp } from "./mcp/transport.js";
import { ConcurrencyLimiter, RateLimiter, TooManyRequestsError, type RateLimitStore } from "./guards/rate-limit.js";
import { RateLimitStoreUnavailableError } from "./guards/rate-limit-redis.js";
import type { AuditStore } from "./store/audit-store.js";
import type { SecurityStore } from "./store/security-store.js";
import { Auditor } from "./telemetry/audit.js";
import { loggerOptions } from "./telemetry/logger.js";
import type { Metrics } from "./telemetry/metrics.js";
import { authenticationSpan, type Telemetry } from "./telemetry/otel.js";
import { TLS_OPTIONS } from "./tls/serving.js";

export interface ServerDeps {
  config: Config;
  verify: TokenVerifier;
  securityStore: SecurityStore;
  securityState: SecurityState;
  auditStore: AuditStore;
  tools: readonly ToolDefinition[];
  metrics: Metrics;
  /** Where rate-limit buckets live; in memory (per replica) unless a shared store is given. */
  rateLimitStore?: RateLimitStore;
  /** Overrides the logger (tests capture log lines through it). */
  logger?: FastifyBaseLogger;
  /** Serve HTTPS with this certificate and key (compose keeps them in step with their files). */
  https?: { cert: Buffer; key: Buffer };
  /** Traces and the audit export; absent: neither. */
  telemetry?: Telemetry;
}

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    auditor: Auditor;
  }
}

function principalOf(request: FastifyRequest): Principal {
  // Routes that call this are registered behind the authentication hook; reaching here without
  // a principal would be a wiring bug, and it must deny.
  if (!request.principal) throw new AuthenticationError("missing_token", "not authenticated");
  return request.principal;
}

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: loggerOptions(config.logLevel) }),
    bodyLimit: 1024 * 1024,
    requestTimeout: 30_000,
    return503OnClosing: true,
    // request.ip is the client: the socket's peer, or what a configured proxy says it forwarded.
    trustProxy: trustProxyFunction(config.trustedProxies),
    ...(deps.https ? { https: { ...TLS_OPTIONS, ...deps.https } } : {}),
  }) as unknown as FastifyInstance;
  const telemetry = deps.telemetry;
  const auditor = new Auditor(
    deps.auditStore,
    app.log,
    (event) => deps.metrics.observe(event),
    telemetry
      ? (event) => {
          telemetry.exportAudit(event);
          if (event.kind === "tool_call" && event.durationMs !== undefined) telemetry.recordToolCall(event);
        }
      : undefined,
    (count, reason) => deps.metrics.auditEventsDropped(count, reason),
  );
  // Before every route: the request span, joined to a client's traceparent.
  if (telemetry) await telemetry.instrument(app);
  deps.metrics.instrument(app);
  app.decorate("auditor", auditor);
  app.decorateRequest("principal", null);
  app.addHook("onClose", async () => auditor.flush());

  // 1. Security headers on every response, refusals included.
  registerSecurityHeaders(app);

  // 2. One error handler: every failure maps to a status and a body that leaks nothing.
  const metadataUrl = resourceMetadataUrl(config.resourceUrl);
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AuthenticationError) {
      const challenge =
        error.reason === "missing_token"
          ? `Bearer resource_metadata="${metadataUrl}"`
          : `Bearer error="invalid_token", error_description="${error.message}", resource_metadata="${metadataUrl}"`;
      return reply
        .code(401)
        .header("www-authenticate", challenge)
        .send({ error: "invalid_token", reason: error.reason, message: error.message });
    }
    if (error instanceof AuthorizationError) {
      const scope = error.requiredScope ? `, scope="${error.requiredScope}"` : "";
      return reply
        .code(403)
        .header("www-authenticate", `Bearer error="insufficient_scope"${scope}, resource_metadata="${metadataUrl}"`)
        .send({ error: "insufficient_scope", reason: error.reason, message: error.message });
    }
    if (error instanceof TooManyRequestsError) {
      return reply
        .code(429)
        .header("retry-after", String(error.retryAfterSeconds))
        .send({ error: "rate_limited", message: error.message });
    }
    if (error instanceof LockedOutError) {
      return reply
        .code(429)
        .header("retry-after", String(error.retryAfterSeconds))
        .send({ error: "locked_out", message: error.message });
    }
    if (error instanceof SecurityStoreUnavailableError) {
      request.log.error({ err: error }, "security store unavailable: denying");
      return reply
        .code(503)
        .header("retry-after", "1")
        .send({ error: "unavailable", message: "the server cannot check revocations right now" });
    }
    if (error instanceof RateLimitStoreUnavailableError) {
      request.log.error({ err: error }, "rate-limit store unavailable: denying");
      return reply.code(503).header("retry-after", "1").send({
        error: "unavailable",
        message: "the server cannot check rate limits right now (its rate-limit store is unreachable)",
      });
    }
    if (error instanceof OriginRefusedError)
      return reply.code(403).send({ error: "forbidden_origin", message: error.message });
    if (error instanceof BadRequestError)
      return reply.code(400).send({ error: "invalid_request", message: error.message });
    const status =
      typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500
        ? error.statusCode
        : 500;
    if (status === 500) request.log.error({ err: error }, "unhandled error");
    return reply.code(status).send({
      error: status === 500 ? "internal_error" : "bad_request",
      message: status === 500 ? "internal error" : error.message,
    });
  });

  // 3. Public routes: discovery and health.
  registerResourceMetadata(app, config);
  app.get("/healthz", async () => ({ status: "ok" }));

  // 4. Protected routes: authentication runs before the body is even read.
  const authenticate = createAuthenticator({
    config,
    verify: deps.verify,
    state: deps.securityState,
    store: deps.securityStore,
    auditor,
  });
  const rateLimiter = new RateLimiter(config.rateLimits, deps.rateLimitStore);
  const registry = new ToolRegistry(deps.tools, auditor, config.tools);
  await app.register(async (scope) => {
    scope.addHook("onRequest", async (request, reply) => {
      if (request.url.startsWith("/auth/")) reply.header("cache-control", "no-store");
      // DNS rebinding: a browser tricked into calling us under another name is refused first.
      const refusal = originRefusal(config.origins, request.headers.host, request.headers.origin);
      if (refusal) throw new OriginRefusedError(refusal);
      const credentials = { url: request.url, authorization: request.headers.authorization, ip: request.ip };
      request.principal = telemetry
        ? await authenticationSpan(telemetry.tracer, () => authenticate(credentials))
        : await authenticate(credentials);
    });
    registerRevocationRoutes(scope, {
      config,
      verify: deps.verify,
      store: deps.securityStore,
      state: deps.securityState,
      auditor,
      principalOf,
    });
    mountMcp(
      scope,
      registry,
      principalOf,
      createRequestGuard({
        registry,
        rateLimiter,
        concurrency: new ConcurrencyLimiter(config.tools.maxConcurrencyPerUser),
        auditor,
      }),
    );
  });
  return app;
}
