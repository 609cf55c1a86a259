// The server's environment as a schema: every setting, its bound and its default, and the
// rules across settings. Values that name files are only checked for form here; reading them
// is secret-files.ts's part.
import { z } from "zod";
import { requiredRole } from "../access/permissions.js";
import { ROLES } from "../access/roles.js";
import { isDevelopmentJwksFile } from "../auth/dev-keys.js";
import { isOrigin } from "../guards/origin.js";
import { parseCidrs } from "../guards/ssrf.js";
import { parseTrustedProxies } from "../guards/trusted-proxy.js";
import { neo4jConnectionSettings } from "../store/neo4j-settings.js";

const ASYMMETRIC_ALGORITHMS = [
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
] as const;

const intInRange = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const list = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean),
);

const httpUrl = z.url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" });

const claimName = z.string().regex(/^[A-Za-z0-9_:./-]{1,128}$/, "must be a claim name (letters, digits, _ : . / -)");

/** A list whose entries a guard parses; its complaint about an entry is the setting's. */
const parsedList = <T>(parse: (entries: readonly string[]) => T) =>
  list.transform((entries, ctx) => {
    try {
      return parse(entries);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  });

const jsonText = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: "custom", message: "is not valid JSON" });
    return z.NEVER;
  }
});

const rateLimit = z
  .object({ perMinute: z.number().positive().max(1_000_000), burst: z.number().int().min(1).max(100_000) })
  .strict();
const rateLimitOverrides = jsonText.pipe(
  z
    .object({
      roles: z.partialRecord(z.enum(ROLES), rateLimit).default({}),
      tools: z.record(z.string(), rateLimit).default({}),
    })
    .strict()
    .superRefine((overrides, ctx) => {
      for (const tool of Object.keys(overrides.tools)) {
        if (requiredRole(tool) === undefined)
          ctx.addIssue({ code: "custom", path: ["tools", tool], message: `no tool is called ${tool}` });
      }
    }),
);

/** The settings one at a time: each with its kind, bound and default. */
const settingsSchema = z.object({
  NODE_ENV: z.enum(["production", "development", "test"]).default("development"),
  MCP_HOST: z.string().min(1).default("127.0.0.1"),
  MCP_PORT: intInRange(0, 65535, 8080),
  METRICS_HOST: z.string().min(1).optional(),
  METRICS_PORT: intInRange(0, 65535, 9464),
  /** The canonical resource URI of the MCP endpoint (RFC 8707); tokens must carry it as aud. */
  MCP_RESOURCE_URL: httpUrl.optional(),
  /** Origins a browser may call /mcp from, besides the resource URL's own. No wildcard. */
  MCP_ALLOWED_ORIGINS: list
    .superRefine((origins, ctx) => {
      for (const origin of origins.filter((entry) => !isOrigin(entry)))
        ctx.addIssue({ code: "custom", message: `'${origin}' is not an origin (scheme://host[:port])` });
    })
    .default([]),
  /** Host header values /mcp answers to, besides the resource URL's and the listen address. */
  MCP_ALLOWED_HOSTS: list
    .pipe(z.array(z.string().regex(/^[a-z0-9.-]+(:\d{1,5})?$/i, "must be host or host:port")))
    .default([]),
  AUTH_ISSUER: z.string().min(1),
  AUTH_JWKS_URL: httpUrl.optional(),
  AUTH_JWKS_FILE: z.string().min(1).optional(),
  /** Least time between two fetches of a remote JWKS (an unknown kid triggers one). */
  AUTH_JWKS_COOLDOWN_SECONDS: intInRange(1, 3600, 30),
  AUTH_AUTHORIZATION_SERVERS: list.pipe(z.array(httpUrl)).optional(),
  AUTH_ALGORITHMS: list
    .pipe(z.array(z.enum(ASYMMETRIC_ALGORITHMS)).min(1))
    .default(["ES256", "EdDSA", "RS256", "PS256"]),
  AUTH_CLOCK_SKEW_SECONDS: intInRange(0, 300, 30),
  AUTH_MAX_TOKEN_LIFETIME_SECONDS: intInRange(60, 86_400, 3600),
  /** The claim of OAuth scopes (RFC 9068 scope); its mcp:* scopes are the caller's roles. */
  AUTH_SCOPE_CLAIM: claimName.default("scope"),
  /** A claim naming roles directly (guest ... admin): an alternative some IdPs make easier; off unless set. */
  AUTH_ROLES_CLAIM: claimName.optional(),
  /** A claim of group names (groups), and AUTH_GROUP_ROLES, the role each group is given. */
  AUTH_GROUPS_CLAIM: claimName.optional(),
  AUTH_GROUP_ROLES: jsonText.pipe(z.record(z.string().min(1).max(256), z.enum(ROLES))).optional(),
  /** Peers whose X-Forwarded-For is believed (the ingress controller): addresses or CIDRs. */
  MCP_TRUSTED_PROXIES: parsedList(parseTrustedProxies).default([]),
  AUTH_TENANT_CLAIM: z.string().min(1).default("tenant"),
  DEFAULT_TENANT: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,128}$/, "must be 1-128 letters, digits, '.', '_' or '-'")
    .default("default"),
  ...neo4jConnectionSettings,
  /** PEM bundle of the CAs that sign Neo4j's certificate; re-read for every new connection. */
  NEO4J_CA_FILE: z.string().min(1).optional(),
  LOCKOUT_MAX_FAILURES: intInRange(1, 1000, 5),
  LOCKOUT_WINDOW_SECONDS: intInRange(1, 86_400, 300),
  LOCKOUT_DURATION_SECONDS: intInRange(1, 86_400, 300),
  SECURITY_SYNC_INTERVAL_MS: intInRange(50, 10_000, 250),
  SECURITY_MAX_STALENESS_MS: intInRange(200, 60_000, 1000),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().positive().max(1_000_000).default(60),
  RATE_LIMIT_BURST: intInRange(1, 100_000, 10),
  /** JSON: {"roles": {"admin": {"perMinute": 600, "burst": 50}}, "tools": {"whoami": {...}}} */
  RATE_LIMIT_OVERRIDES: rateLimitOverrides.optional(),
  /** A Redis-protocol store every replica shares the buckets in; absent: each replica's memory. */
  RATE_LIMIT_STORE_URL: z
    .string()
    .regex(
      /^rediss?:\/\/[a-z0-9.-]+(:\d{1,5})?\/?$/i,
      "must be redis://host[:port] or rediss://host[:port], without credentials (see RATE_LIMIT_STORE_PASSWORD_FILE)",
    )
    .optional(),
  RATE_LIMIT_STORE_PASSWORD_FILE: z.string().min(1).optional(),
  /** PEM bundle the store's TLS certificate chains to; absent: the system's CAs. */
  RATE_LIMIT_STORE_CA_FILE: z.string().min(1).optional(),
  FETCH_ALLOWED_PORTS: list
    .pipe(
      z
        .array(
          z
            .string()
            .regex(/^\d{1,5}$/, "must be a port number")
            .transform(Number)
            .pipe(z.number().int().min(1).max(65535)),
        )
        .min(1),
    )
    .default([80, 443]),
  FETCH_DENY_HOSTS: list.default([]),
  FETCH_ALLOW_HOSTS: list.default([]),
  /** Non-public ranges an operator allows anyway (an internal API); empty by default. */
  FETCH_ALLOWED_CIDRS: parsedList(parseCidrs).default([]),
  FETCH_TIMEOUT_MS: intInRange(100, 120_000, 10_000),
  FETCH_MAX_BYTES: intInRange(1024, 50 * 1024 * 1024, 1024 * 1024),
  FETCH_CONTENT_TYPES: list
    .pipe(z.array(z.string().regex(/^[a-z0-9.+-]+\/([a-z0-9.+-]+|\*)$/, "must be type/subtype or type/*")).min(1))
    .default(["text/*", "application/json", "application/xml", "application/xhtml+xml"]),
  /** The one directory read_file and list_files serve; absent: an empty private directory. */
  FILES_BASE_DIR: z.string().min(1).optional(),
  FILES_MAX_BYTES: intInRange(1, 10 * 1024 * 1024, 1024 * 1024),
  AUDIT_RETENTION_DAYS: intInRange(1, 3650, 90),
  TOOL_RESULT_MAX_BYTES: intInRange(1024, 10 * 1024 * 1024, 100 * 1024),
  TOOL_TIMEOUT_MS: intInRange(100, 600_000, 30_000),
  TOOL_MAX_CONCURRENCY_PER_USER: intInRange(1, 1000, 4),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** OTLP/HTTP collector for traces and audit log records; absent: no telemetry export. */
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z
    .literal("http/protobuf", { message: "must be http/protobuf, the one protocol this server exports" })
    .optional(),
  OTEL_SERVICE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,128}$/, "must be 1-128 letters, digits, '.', '_' or '-'")
    .default("mcp-bastion"),
  OTEL_SDK_DISABLED: z.enum(["true", "false"]).default("false"),
  /** Serve HTTPS from these PEM files (cert-manager's tls.crt and tls.key); reloaded when they change. */
  MCP_TLS_CERT_FILE: z.string().min(1).optional(),
  MCP_TLS_KEY_FILE: z.string().min(1).optional(),
  /** How often the certificate files are re-read besides the directory watch. */
  MCP_TLS_RELOAD_SECONDS: intInRange(1, 3600, 30),
});

type Settings = z.output<typeof settingsSchema>;
type SettingName = keyof Settings;

/** A rule across settings: judged once every setting it reads is valid, whatever else is not. */
interface CrossRule<K extends SettingName = SettingName> {
  reads: readonly K[];
  /** The setting to blame and what is wrong, or nothing when the rule holds. */
  check(env: Pick<Settings, K>): { setting: SettingName; message: string } | undefined;
}

const rule = <K extends SettingName>(reads: readonly K[], check: CrossRule<K>["check"]): CrossRule =>
  ({ reads, check }) as unknown as CrossRule;

const production = (env: { NODE_ENV: Settings["NODE_ENV"] }) => env.NODE_ENV === "production";

const CROSS_RULES: readonly CrossRule[] = [
  rule(["AUTH_JWKS_URL", "AUTH_JWKS_FILE"], (env) =>
    !env.AUTH_JWKS_URL === !env.AUTH_JWKS_FILE
      ? { setting: "AUTH_JWKS_URL", message: "set exactly one of AUTH_JWKS_URL and AUTH_JWKS_FILE" }
      : undefined,
  ),
  rule(["NEO4J_CA_FILE", "NEO4J_URI"], (env) =>
    env.NEO4J_CA_FILE && /^[a-z]+\+ssc:/.test(env.NEO4J_URI)
      ? { setting: "NEO4J_URI", message: "+ssc skips certificate checks; with NEO4J_CA_FILE use bolt:// or bolt+s://" }
      : undefined,
  ),
  rule(["MCP_TLS_CERT_FILE", "MCP_TLS_KEY_FILE"], (env) =>
    !env.MCP_TLS_CERT_FILE !== !env.MCP_TLS_KEY_FILE
      ? {
          setting: env.MCP_TLS_CERT_FILE ? "MCP_TLS_KEY_FILE" : "MCP_TLS_CERT_FILE",
          message: "set both MCP_TLS_CERT_FILE and MCP_TLS_KEY_FILE, or neither",
        }
      : undefined,
  ),
  rule(["AUTH_GROUPS_CLAIM", "AUTH_GROUP_ROLES"], (env) =>
    !env.AUTH_GROUPS_CLAIM !== !env.AUTH_GROUP_ROLES
      ? {
          setting: env.AUTH_GROUPS_CLAIM ? "AUTH_GROUP_ROLES" : "AUTH_GROUPS_CLAIM",
          message: "set both AUTH_GROUPS_CLAIM and AUTH_GROUP_ROLES, or neither",
        }
      : undefined,
  ),
  rule(["METRICS_PORT", "MCP_PORT"], (env) =>
    env.METRICS_PORT !== 0 && env.METRICS_PORT === env.MCP_PORT
      ? { setting: "METRICS_PORT", message: "must differ from MCP_PORT: metrics are not served on the MCP port" }
      : undefined,
  ),
  rule(["SECURITY_MAX_STALENESS_MS", "SECURITY_SYNC_INTERVAL_MS"], (env) =>
    env.SECURITY_MAX_STALENESS_MS < 2 * env.SECURITY_SYNC_INTERVAL_MS
      ? { setting: "SECURITY_MAX_STALENESS_MS", message: "must be at least twice SECURITY_SYNC_INTERVAL_MS" }
      : undefined,
  ),
  rule(["RATE_LIMIT_STORE_URL", "RATE_LIMIT_STORE_PASSWORD_FILE", "RATE_LIMIT_STORE_CA_FILE"], (env) =>
    !env.RATE_LIMIT_STORE_URL && (env.RATE_LIMIT_STORE_PASSWORD_FILE || env.RATE_LIMIT_STORE_CA_FILE)
      ? {
          setting: "RATE_LIMIT_STORE_URL",
          message: "is required with RATE_LIMIT_STORE_PASSWORD_FILE or RATE_LIMIT_STORE_CA_FILE",
        }
      : undefined,
  ),
  rule(["NODE_ENV", "RATE_LIMIT_STORE_URL"], (env) =>
    production(env) && env.RATE_LIMIT_STORE_URL?.startsWith("redis:")
      ? { setting: "RATE_LIMIT_STORE_URL", message: "must use rediss:// (TLS) in production" }
      : undefined,
  ),
  rule(["NODE_ENV", "AUTH_JWKS_FILE"], (env) =>
    production(env) && env.AUTH_JWKS_FILE && isDevelopmentJwksFile(env.AUTH_JWKS_FILE)
      ? { setting: "AUTH_JWKS_FILE", message: "holds the local development key, which production refuses to trust" }
      : undefined,
  ),
  rule(["NODE_ENV", "AUTH_JWKS_URL"], (env) =>
    production(env) && env.AUTH_JWKS_URL?.startsWith("http:")
      ? { setting: "AUTH_JWKS_URL", message: "must use https in production" }
      : undefined,
  ),
  rule(["NODE_ENV", "MCP_RESOURCE_URL"], (env) =>
    production(env) && !env.MCP_RESOURCE_URL?.startsWith("https:")
      ? { setting: "MCP_RESOURCE_URL", message: "must be set to an https URL in production" }
      : undefined,
  ),
];

function crossRuleProblems(
  env: Partial<Settings>,
  valid: (name: SettingName) => boolean,
): Array<{ setting: SettingName; message: string }> {
  return CROSS_RULES.filter((crossRule) => crossRule.reads.every(valid)).flatMap(
    (crossRule) => crossRule.check(env as Settings) ?? [],
  );
}

const envSchema = settingsSchema.superRefine((env, ctx) => {
  for (const { setting, message } of crossRuleProblems(env, () => true))
    ctx.addIssue({ code: "custom", path: [setting], message });
});

export type Environment = z.output<typeof envSchema>;

/**
 * The environment, or every problem in it at once: the settings that are bad on their own and
 * the rules across settings that fail among those that are not (zod judges an object's rules
 * only once all of it is valid, so a bad port would otherwise hide a missing TLS key).
 */
export function parseEnvironment(
  source: NodeJS.ProcessEnv,
): { success: true; data: Environment } | { success: false; issues: z.core.$ZodIssue[] } {
  const parsed = envSchema.safeParse(source);
  if (parsed.success) return { success: true, data: parsed.data };
  const bad = new Set(parsed.error.issues.map((issue) => issue.path[0]));
  const valid: Partial<Settings> = {};
  for (const name of Object.keys(settingsSchema.shape) as SettingName[]) {
    if (bad.has(name)) continue;
    const one = settingsSchema.shape[name].safeParse(source[name]);
    if (one.success) (valid as Record<string, unknown>)[name] = one.data;
    else bad.add(name);
  }
  const crossing = crossRuleProblems(valid, (name) => !bad.has(name)).map(({ setting, message }): z.core.$ZodIssue => ({
    code: "custom",
    path: [setting],
    message,
    input: undefined,
  }));
  return { success: false, issues: [...parsed.error.issues, ...crossing] };
}
