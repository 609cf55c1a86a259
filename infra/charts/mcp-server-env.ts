// The MCP server's settings as its environment (the names app/src/config.ts reads), mapped
// from the stack's settings for McpServerChart. Only what the stack sets is written, so the
// server's own defaults stay the one source. Where the chart mounts files, the chart says.
import { mcpResourceUrl, type Settings } from "../config.js";
import { NAMES, sandboxLimitsEnv, type SandboxLimits } from "./common.js";
import { SECRET_MOUNTS, sandboxUrl, valkeyUrl } from "./addresses.js";

/** role=perMinute/burst entries as {role: {perMinute, burst}}. */
function rateEntries(entries: readonly string[]): Record<string, { perMinute: number; burst: number }> {
  return Object.fromEntries(
    entries.map((entry) => {
      const [name, rate] = entry.split("=") as [string, string];
      const [perMinute, burst] = rate.split("/").map(Number) as [number, number];
      return [name, { perMinute, burst }];
    }),
  );
}

const joined = (key: string, values: readonly string[]): Record<string, string> =>
  values.length > 0 ? { [key]: values.join(",") } : {};

/** Where the shared rate-limit store is, and the files its password and CA come from. */
function limitStoreEnv(settings: Settings, caFile: string): Record<string, string> {
  if (settings.rateLimitStore === "valkey") {
    return {
      RATE_LIMIT_STORE_URL: valkeyUrl(settings.namespace),
      RATE_LIMIT_STORE_PASSWORD_FILE: `${SECRET_MOUNTS.rateLimitStore}/password`,
      RATE_LIMIT_STORE_CA_FILE: caFile,
    };
  }
  if (settings.rateLimitStore === "external" && settings.rateLimitStoreUrl) {
    return {
      RATE_LIMIT_STORE_URL: settings.rateLimitStoreUrl,
      ...(settings.rateLimitStorePassword
        ? { RATE_LIMIT_STORE_PASSWORD_FILE: `${SECRET_MOUNTS.rateLimitStore}/password` }
        : {}),
    };
  }
  return {};
}

/** Whether the pod mounts the store's password Secret. */
export const mountsLimitStorePassword = (settings: Settings): boolean =>
  settings.rateLimitStore === "valkey" ||
  (settings.rateLimitStore === "external" && settings.rateLimitStorePassword !== undefined);

/** Where a component sends its traces (the MCP server, the backup job); nothing when off. */
export function telemetryEnv(settings: Settings, serviceName: string): Record<string, string> {
  if (!settings.otelEndpoint) return {};
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: settings.otelEndpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
    OTEL_SERVICE_NAME: serviceName,
    // A client's traceparent decides for its own trace; the rest are sampled at this ratio.
    OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
    OTEL_TRACES_SAMPLER_ARG: String(settings.otelSamplePercent / 100),
  };
}

function serverSettingsEnv(settings: Settings): Record<string, string> {
  const overrides = { roles: rateEntries(settings.rateLimitRoles), tools: rateEntries(settings.rateLimitTools) };
  return {
    ...joined("MCP_ALLOWED_ORIGINS", settings.mcpAllowedOrigins),
    ...joined("MCP_ALLOWED_HOSTS", settings.mcpAllowedHosts),
    RATE_LIMIT_PER_MINUTE: String(settings.rateLimitPerMinute),
    RATE_LIMIT_BURST: String(settings.rateLimitBurst),
    ...(settings.rateLimitRoles.length + settings.rateLimitTools.length > 0
      ? { RATE_LIMIT_OVERRIDES: JSON.stringify(overrides) }
      : {}),
    LOCKOUT_MAX_FAILURES: String(settings.lockoutMaxFailures),
    LOCKOUT_WINDOW_SECONDS: String(settings.lockoutWindowSeconds),
    LOCKOUT_DURATION_SECONDS: String(settings.lockoutDurationSeconds),
    ...joined("FETCH_ALLOW_HOSTS", settings.fetchAllowHosts),
    ...joined("FETCH_DENY_HOSTS", settings.fetchDenyHosts),
    ...joined("FETCH_ALLOWED_CIDRS", settings.fetchAllowedCidrs),
    FETCH_ALLOWED_PORTS: settings.fetchAllowedPorts.join(","),
    FETCH_TIMEOUT_MS: String(settings.fetchTimeoutMs),
    FETCH_MAX_BYTES: String(settings.fetchMaxBytes),
    ...(settings.filesBaseDir ? { FILES_BASE_DIR: settings.filesBaseDir } : {}),
    FILES_MAX_BYTES: String(settings.filesMaxBytes),
    TOOL_RESULT_MAX_BYTES: String(settings.toolResultMaxBytes),
    TOOL_TIMEOUT_MS: String(settings.toolTimeoutMs),
    TOOL_MAX_CONCURRENCY_PER_USER: String(settings.toolMaxConcurrencyPerUser),
    AUDIT_RETENTION_DAYS: String(settings.auditRetentionDays),
    LOG_LEVEL: settings.logLevel,
    ...telemetryEnv(settings, NAMES.mcp),
  };
}

/** Where the server reads a token's role: the scope claim, and a group mapping when configured. */
function roleSettings(settings: Settings): Record<string, string> {
  const groups: Record<string, string> = settings.authGroupsClaim
    ? {
        AUTH_GROUPS_CLAIM: settings.authGroupsClaim,
        AUTH_GROUP_ROLES: JSON.stringify(
          Object.fromEntries(
            settings.authGroupRoles.map((entry) => [
              entry.slice(0, entry.lastIndexOf("=")),
              entry.slice(entry.lastIndexOf("=") + 1),
            ]),
          ),
        ),
      }
    : {};
  return {
    AUTH_SCOPE_CLAIM: settings.authScopeClaim,
    ...(settings.authRolesClaim ? { AUTH_ROLES_CLAIM: settings.authRolesClaim } : {}),
    ...groups,
  };
}

/** Where the sandbox is and the limits it announces; nothing when the sandbox is off. */
function sandboxClientEnv(settings: Settings): Record<string, string> {
  if (!settings.sandboxEnabled) return {};
  return {
    SANDBOX_URL: sandboxUrl(settings.namespace),
    SANDBOX_MAX_PER_USER: String(settings.sandboxMaxPerUser),
    ...sandboxLimitsEnv(sandboxLimits(settings)),
  };
}

/** What one run_python program may use, from the stack's settings. */
export const sandboxLimits = (settings: Settings): SandboxLimits => ({
  maxTimeMs: settings.sandboxMaxTimeMs,
  memoryMiB: settings.sandboxMemoryMiB,
  strict: settings.sandboxStrict,
});

/**
 * The server's environment from the stack's settings: its resource URL, token verification,
 * proxies, the sandbox, and every tunable. The JWKS is a file when the stack holds it
 * (McpServerChart mounts it), a URL otherwise.
 */
export function serverEnvironment(settings: Settings): Record<string, string> {
  return {
    MCP_RESOURCE_URL: mcpResourceUrl(settings),
    AUTH_ISSUER: settings.authIssuer,
    ...(settings.authJwks ? {} : { AUTH_JWKS_URL: settings.authJwksUrl as string }),
    ...(settings.authAuthorizationServers.length > 0
      ? { AUTH_AUTHORIZATION_SERVERS: settings.authAuthorizationServers.join(",") }
      : {}),
    ...roleSettings(settings),
    // The ingress controller (and the mesh proxy relaying it) is the one proxy whose
    // X-Forwarded-For names the client; per-source throttles key on that address.
    MCP_TRUSTED_PROXIES: settings.trustedProxyCidrs.join(","),
    ...sandboxClientEnv(settings),
    ...serverSettingsEnv(settings),
    ...limitStoreEnv(settings, `${SECRET_MOUNTS.caBundle}/ca.crt`),
  };
}
