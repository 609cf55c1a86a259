// The MCP server's own settings as stack settings: what a deployer tunes (rate limits, the fetch
// allowlist, origins, lockout, files, tool limits, telemetry, the rate-limit store). config.ts
// merges these into the one strict schema; charts/mcp-server-env.ts turns them into the server's
// environment. No Pulumi imports.
import { z } from "zod";
import { TOOL_PERMISSIONS } from "../app/src/access/permissions.js";
import { ROLES } from "../app/src/access/roles.js";
import { cidr, dnsLabel, imageByDigest, password } from "./settings-kinds.js";

const TOOL_NAMES = Object.keys(TOOL_PERMISSIONS);

const origin = z
  .string()
  .regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/, "must be an origin: scheme://host[:port], lower case, no path");
const hostAndPort = z.string().regex(/^[a-z0-9.-]+(:\d{1,5})?$/, "must be host or host:port (lower case)");
const hostPattern = z
  .string()
  .regex(
    /^\.?[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/,
    "must be a lower-case host name, or .example.org for it and its subdomains",
  );
const int = (min: number, max: number, fallback: number) => z.number().int().min(min).max(max).default(fallback);

/** role=perMinute/burst or tool=perMinute/burst: one override per entry, such as admin=600/50. */
const RATE_ENTRY = /^([a-z_]+)=([1-9][0-9]{0,6})\/([1-9][0-9]{0,5})$/;
const rateEntries = (names: readonly string[], what: string, example: string) =>
  z
    .array(z.string().regex(RATE_ENTRY, `must be ${what}=perMinute/burst, such as ${example}`))
    .default([])
    .superRefine((entries, ctx) => {
      const seen = new Set<string>();
      for (const entry of entries) {
        const name = entry.slice(0, entry.indexOf("="));
        if (!names.includes(name))
          ctx.addIssue({ code: "custom", message: `no ${what} is called ${name} (one of ${names.join(", ")})` });
        if (seen.has(name)) ctx.addIssue({ code: "custom", message: `${name} is listed twice` });
        seen.add(name);
      }
    });

export const RATE_LIMIT_STORES = ["memory", "valkey", "external"] as const;
export type RateLimitStore = (typeof RATE_LIMIT_STORES)[number];

export const serverSettingsShape = {
  mcpAllowedOrigins: z.array(origin).default([]),
  mcpAllowedHosts: z.array(hostAndPort).default([]),
  rateLimitPerMinute: int(1, 1_000_000, 60),
  rateLimitBurst: int(1, 100_000, 10),
  rateLimitRoles: rateEntries(ROLES, "role", "admin=600/50"),
  rateLimitTools: rateEntries(TOOL_NAMES, "tool", "fetch_url=30/5"),
  rateLimitStore: z.enum(RATE_LIMIT_STORES).default("memory"),
  valkeyImage: imageByDigest.optional(),
  rateLimitStoreUrl: z
    .string()
    .regex(
      /^rediss:\/\/[a-z0-9.-]+(:\d{1,5})?\/?$/,
      "must be rediss://host[:port] (TLS; the password is rateLimitStorePassword)",
    )
    .optional(),
  rateLimitStorePassword: password.optional(),
  rateLimitStoreEgressCidrs: z.array(cidr).default([]),
  lockoutMaxFailures: int(1, 1000, 5),
  lockoutWindowSeconds: int(1, 86_400, 300),
  lockoutDurationSeconds: int(1, 86_400, 300),
  fetchAllowHosts: z.array(hostPattern).default([]),
  fetchDenyHosts: z.array(hostPattern).default([]),
  fetchAllowedCidrs: z.array(cidr).default([]),
  fetchAllowedPorts: z
    .array(z.string().regex(/^[1-9][0-9]{0,4}$/, "must be a port number"))
    .min(1)
    .default(["443"]),
  fetchTimeoutMs: int(100, 120_000, 10_000),
  fetchMaxBytes: int(1024, 50 * 1024 * 1024, 1024 * 1024),
  filesBaseDir: z
    .string()
    .regex(/^\/[^\0]*$/, "must be an absolute path")
    .optional(),
  filesMaxBytes: int(1, 10 * 1024 * 1024, 1024 * 1024),
  toolResultMaxBytes: int(1024, 10 * 1024 * 1024, 100 * 1024),
  toolTimeoutMs: int(100, 600_000, 30_000),
  toolMaxConcurrencyPerUser: int(1, 1000, 4),
  auditRetentionDays: int(1, 3650, 90),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
  otelEndpoint: z.url({ protocol: /^https?$/ }).optional(),
  otelEgressNamespace: dnsLabel.optional(),
  otelEgressCidrs: z.array(cidr).default([]),
  otelSamplePercent: int(0, 100, 100),
};

export const SERVER_SETTING_DESCRIPTIONS: Record<keyof typeof serverSettingsShape, string> = {
  mcpAllowedOrigins:
    "Browser origins (scheme://host[:port]) allowed to call /mcp besides https://<mcpHost>; no wildcard.",
  mcpAllowedHosts: "Host header values /mcp answers to besides mcpHost (host or host:port).",
  rateLimitPerMinute: "Sustained tool calls per minute per user and tool (token bucket).",
  rateLimitBurst: "Calls a user may make at once before rateLimitPerMinute applies.",
  rateLimitRoles: "Per-role limits as role=perMinute/burst entries, such as admin=600/50.",
  rateLimitTools:
    "Per-tool limits as tool=perMinute/burst entries, such as fetch_url=30/5; a tool's limit wins over its caller's role.",
  rateLimitStore:
    "Where rate-limit buckets live: memory (each pod its own, so N pods allow N times the limit), valkey (a StatefulSet in the namespace, shared by all pods) or external (rateLimitStoreUrl, such as ElastiCache).",
  valkeyImage:
    "Valkey 8 image (valkey-server on PATH) pinned by digest, as your registry mirrors it; required with rateLimitStore valkey.",
  rateLimitStoreUrl: "The external store's rediss:// URL (with rateLimitStore external).",
  rateLimitStorePassword:
    "The store's password (the in-cluster Valkey's, or the external store's auth token), set as a secret. Empty with valkey: a random one is generated.",
  rateLimitStoreEgressCidrs:
    "Where the external store is (its subnets): the MCP pods may reach exactly these on the URL's port.",
  lockoutMaxFailures: "Failed authentications of one source within lockoutWindowSeconds before it is locked out.",
  lockoutWindowSeconds: "The window in which failures count toward a lockout.",
  lockoutDurationSeconds: "How long a locked-out source is refused.",
  fetchAllowHosts: "Hosts fetch_url may reach (.example.org for it and its subdomains); empty: every public host.",
  fetchDenyHosts: "Hosts fetch_url never reaches (.example.org for it and its subdomains).",
  fetchAllowedCidrs:
    "Non-public ranges fetch_url may reach anyway (an internal API); the NetworkPolicy must allow them too.",
  fetchAllowedPorts: "Ports fetch_url may connect to (the NetworkPolicy opens 443 only).",
  fetchTimeoutMs: "Longest a fetch_url request may take.",
  fetchMaxBytes: "Largest body fetch_url reads.",
  filesBaseDir:
    "The one directory read_file and list_files serve (an absolute path in the pod, such as a mounted volume). Empty: an empty private directory.",
  filesMaxBytes: "Largest file read_file returns.",
  toolResultMaxBytes: "Largest result a tool may return.",
  toolTimeoutMs: "Longest a tool call may run.",
  toolMaxConcurrencyPerUser: "Tool calls one user may have in flight on one pod.",
  auditRetentionDays: "How long audit entries are kept in Neo4j.",
  logLevel: "The server's log level.",
  otelEndpoint:
    "OTLP/HTTP endpoint of an OpenTelemetry Collector (such as http://otel-collector.observability.svc:4318) that receives traces (the MCP server's, and the backup job's S3 transfers) and audit log records. Empty: telemetry export is off.",
  otelEgressNamespace:
    "Namespace of the collector in the cluster: the MCP pods and the backup job may reach it on the endpoint's port.",
  otelEgressCidrs:
    "Addresses of a collector outside the cluster: the MCP pods and the backup job may reach exactly these on the endpoint's port.",
  otelSamplePercent:
    "Percent of traces sampled when the client sends no sampling decision (a client's traceparent decides for its own).",
};

type ServerSettings = z.output<z.ZodObject<typeof serverSettingsShape>>;

/** The port a URL names, or its scheme's default. */
export function urlPort(url: string, fallbackHttps = 443, fallbackHttp = 80): number {
  const parsed = new URL(url.replace(/^rediss:/, "https:"));
  return parsed.port ? Number(parsed.port) : parsed.protocol === "https:" ? fallbackHttps : fallbackHttp;
}

/** Cross-field rules of the server settings; `problem` names the key. */
export function checkServerSettings(settings: ServerSettings, problem: (key: string, message: string) => void): void {
  const external = settings.rateLimitStore === "external";
  if (settings.rateLimitStore === "valkey" && !settings.valkeyImage)
    problem("valkeyImage", "is required with rateLimitStore valkey: an image pinned by digest");
  if (settings.rateLimitStore !== "valkey" && settings.valkeyImage)
    problem("valkeyImage", "applies only with rateLimitStore valkey");
  if (external && !settings.rateLimitStoreUrl) problem("rateLimitStoreUrl", "is required with rateLimitStore external");
  if (external && settings.rateLimitStoreEgressCidrs.length === 0)
    problem(
      "rateLimitStoreEgressCidrs",
      "is required with rateLimitStore external: the MCP pods may reach the store only there",
    );
  if (!external) {
    if (settings.rateLimitStoreUrl !== undefined)
      problem("rateLimitStoreUrl", "applies only with rateLimitStore external");
    if (settings.rateLimitStore === "memory" && settings.rateLimitStorePassword !== undefined)
      problem("rateLimitStorePassword", "applies only with rateLimitStore valkey or external");
    if (settings.rateLimitStoreEgressCidrs.length > 0)
      problem("rateLimitStoreEgressCidrs", "applies only with rateLimitStore external");
  }
  const otelEgress = settings.otelEgressNamespace !== undefined || settings.otelEgressCidrs.length > 0;
  if (settings.otelEndpoint && !otelEgress)
    problem(
      "otelEgressNamespace",
      "set otelEgressNamespace or otelEgressCidrs with otelEndpoint: the MCP pods may reach the collector only there",
    );
  if (!settings.otelEndpoint && otelEgress)
    problem("otelEndpoint", "is required with otelEgressNamespace or otelEgressCidrs");
  for (const port of settings.fetchAllowedPorts)
    if (Number(port) > 65535) problem("fetchAllowedPorts", `${port} is not a port number`);
}
