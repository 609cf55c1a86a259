// The whole server configuration, and the mapping of a valid environment onto it: each
// module owns its options type (auth/options.ts, store/driver.ts, guards/, tls/, sandbox/),
// and this is the one place that knows which variable feeds which option.
import type { AuthOptions, LockoutOptions } from "../auth/options.js";
import type { SecurityStateOptions } from "../auth/security-state.js";
import { originPolicy, type OriginPolicy } from "../guards/origin.js";
import type { RateLimitPolicy } from "../guards/rate-limit.js";
import type { RedisStoreSettings } from "../guards/rate-limit-redis.js";
import type { CidrRange } from "../guards/ssrf.js";
import type { SandboxSettings } from "../sandbox/settings.js";
import type { Neo4jOptions } from "../store/driver.js";
import type { TelemetrySettings } from "../telemetry/otel.js";
import type { FetchOptions } from "../tools/fetch.js";
import type { TlsSettings } from "../tls/serving.js";
import type { Environment } from "./environment.js";
import type { ServerSecrets } from "./secret-files.js";

export interface Config {
  env: "production" | "development" | "test";
  host: string;
  port: number;
  metrics: { host: string; port: number };
  /** Canonical resource URI (the /mcp endpoint); the required token audience. */
  resourceUrl: string;
  origins: OriginPolicy;
  /** Direct peers whose X-Forwarded-For names the client (the ingress controller); empty: none. */
  trustedProxies: readonly CidrRange[];
  auth: AuthOptions;
  neo4j: Neo4jOptions;
  lockout: LockoutOptions;
  securitySync: Pick<SecurityStateOptions, "intervalMs" | "maxStalenessMs">;
  rateLimits: RateLimitPolicy;
  /** Where the buckets are shared (RATE_LIMIT_STORE_*); absent: in this replica's memory. */
  rateLimitStore: RedisStoreSettings | undefined;
  auditRetentionDays: number;
  files: { baseDir: string | undefined; maxBytes: number };
  /** fetch_url's policy and limits; compose.ts adds the resolver. */
  fetch: Omit<FetchOptions, "resolve" | "maxRedirects">;
  tools: { maxResultBytes: number; timeoutMs: number; maxConcurrencyPerUser: number };
  /** run_python's sandbox: where programs run and their limits (SANDBOX_*). */
  sandbox: SandboxSettings;
  logLevel: string;
  /** Where traces and audit log records go (OTEL_*); absent: nowhere. */
  telemetry: TelemetrySettings | undefined;
  /** HTTPS from rotating certificate files; absent: plain HTTP (behind the mesh's mTLS). */
  tls: TlsSettings | undefined;
}

/** The configuration of a valid environment; nothing here can fail any more. */
export function serverOptions(env: Environment, sandbox: SandboxSettings, secrets: ServerSecrets): Config {
  const resourceUrl =
    env.MCP_RESOURCE_URL ?? `${env.MCP_TLS_CERT_FILE ? "https" : "http"}://${env.MCP_HOST}:${env.MCP_PORT}/mcp`;
  // The schema has checked each allowed origin, so the policy is built without a complaint.
  const origins = originPolicy(
    resourceUrl,
    { host: env.MCP_HOST, port: env.MCP_PORT },
    env.MCP_ALLOWED_ORIGINS,
    env.MCP_ALLOWED_HOSTS,
  );
  return {
    env: env.NODE_ENV,
    host: env.MCP_HOST,
    port: env.MCP_PORT,
    metrics: { host: env.METRICS_HOST ?? env.MCP_HOST, port: env.METRICS_PORT },
    resourceUrl,
    origins,
    trustedProxies: env.MCP_TRUSTED_PROXIES,
    auth: {
      issuer: env.AUTH_ISSUER,
      jwks: env.AUTH_JWKS_URL
        ? { url: new URL(env.AUTH_JWKS_URL), cooldownMs: env.AUTH_JWKS_COOLDOWN_SECONDS * 1000 }
        : { file: env.AUTH_JWKS_FILE as string },
      authorizationServers: env.AUTH_AUTHORIZATION_SERVERS ?? [env.AUTH_ISSUER],
      algorithms: env.AUTH_ALGORITHMS,
      clockSkewSeconds: env.AUTH_CLOCK_SKEW_SECONDS,
      maxTokenLifetimeSeconds: env.AUTH_MAX_TOKEN_LIFETIME_SECONDS,
      roles: {
        scopeClaim: env.AUTH_SCOPE_CLAIM,
        rolesClaim: env.AUTH_ROLES_CLAIM,
        groups:
          env.AUTH_GROUPS_CLAIM && env.AUTH_GROUP_ROLES
            ? { claim: env.AUTH_GROUPS_CLAIM, roles: env.AUTH_GROUP_ROLES }
            : undefined,
      },
      tenantClaim: env.AUTH_TENANT_CLAIM,
      defaultTenant: env.DEFAULT_TENANT,
    },
    neo4j: {
      uri: env.NEO4J_URI,
      user: env.NEO4J_USER,
      password: secrets.neo4jPassword,
      database: env.NEO4J_DATABASE,
      caFile: env.NEO4J_CA_FILE,
    },
    lockout: {
      maxFailures: env.LOCKOUT_MAX_FAILURES,
      windowMs: env.LOCKOUT_WINDOW_SECONDS * 1000,
      durationMs: env.LOCKOUT_DURATION_SECONDS * 1000,
    },
    securitySync: { intervalMs: env.SECURITY_SYNC_INTERVAL_MS, maxStalenessMs: env.SECURITY_MAX_STALENESS_MS },
    tools: {
      maxResultBytes: env.TOOL_RESULT_MAX_BYTES,
      timeoutMs: env.TOOL_TIMEOUT_MS,
      maxConcurrencyPerUser: env.TOOL_MAX_CONCURRENCY_PER_USER,
    },
    sandbox,
    auditRetentionDays: env.AUDIT_RETENTION_DAYS,
    files: { baseDir: env.FILES_BASE_DIR, maxBytes: env.FILES_MAX_BYTES },
    fetch: {
      policy: {
        ports: new Set(env.FETCH_ALLOWED_PORTS),
        deniedHosts: env.FETCH_DENY_HOSTS.map((host) => host.toLowerCase()),
        allowedHosts: env.FETCH_ALLOW_HOSTS.map((host) => host.toLowerCase()),
        allowedCidrs: env.FETCH_ALLOWED_CIDRS,
      },
      timeoutMs: env.FETCH_TIMEOUT_MS,
      maxBytes: env.FETCH_MAX_BYTES,
      contentTypes: env.FETCH_CONTENT_TYPES,
    },
    rateLimits: {
      defaults: { perMinute: env.RATE_LIMIT_PER_MINUTE, burst: env.RATE_LIMIT_BURST },
      roles: env.RATE_LIMIT_OVERRIDES?.roles ?? {},
      tools: env.RATE_LIMIT_OVERRIDES?.tools ?? {},
    },
    rateLimitStore: env.RATE_LIMIT_STORE_URL
      ? {
          url: env.RATE_LIMIT_STORE_URL,
          password: secrets.rateLimitStorePassword,
          caFile: env.RATE_LIMIT_STORE_CA_FILE,
        }
      : undefined,
    logLevel: env.LOG_LEVEL,
    telemetry:
      env.OTEL_EXPORTER_OTLP_ENDPOINT && env.OTEL_SDK_DISABLED !== "true"
        ? { endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: env.OTEL_SERVICE_NAME }
        : undefined,
    tls:
      env.MCP_TLS_CERT_FILE && env.MCP_TLS_KEY_FILE
        ? {
            certFile: env.MCP_TLS_CERT_FILE,
            keyFile: env.MCP_TLS_KEY_FILE,
            reloadIntervalMs: env.MCP_TLS_RELOAD_SECONDS * 1000,
          }
        : undefined,
  };
}
