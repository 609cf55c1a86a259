// The MCP server's tunable settings as its environment (the names app/src/config.ts reads).
// Only what the stack sets is written, so the server's own defaults stay the one source.
import { createHash } from "node:crypto";
import type { Settings } from "../config.js";
import { NAMES, PORTS } from "./common.js";

export const LIMIT_STORE_SECRET_MOUNT = "/var/run/secrets/mcp-bastion/rate-limit-store";

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
export function limitStoreEnv(settings: Settings, caFile: string): Record<string, string> {
  if (settings.rateLimitStore === "valkey") {
    return {
      RATE_LIMIT_STORE_URL: `rediss://${NAMES.valkey}.${settings.namespace}.svc.cluster.local:${PORTS.valkey}`,
      RATE_LIMIT_STORE_PASSWORD_FILE: `${LIMIT_STORE_SECRET_MOUNT}/password`,
      RATE_LIMIT_STORE_CA_FILE: caFile,
    };
  }
  if (settings.rateLimitStore === "external" && settings.rateLimitStoreUrl) {
    return {
      RATE_LIMIT_STORE_URL: settings.rateLimitStoreUrl,
      ...(settings.rateLimitStorePassword
        ? { RATE_LIMIT_STORE_PASSWORD_FILE: `${LIMIT_STORE_SECRET_MOUNT}/password` }
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

export function serverSettingsEnv(settings: Settings): Record<string, string> {
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

/** A digest of ConfigMap data: in the pod template, so a changed setting rolls the pods. */
export function configChecksum(...data: ReadonlyArray<Readonly<Record<string, string>>>): string {
  const hash = createHash("sha256");
  for (const map of data)
    hash.update(JSON.stringify(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  return hash.digest("hex");
}
