// The stack's settings: one flat key per setting (Pulumi.yaml documents each one under the same
// name), validated at once so a bad stack stops before anything is created, with a message
// that names every wrong key. No Pulumi imports: charts and the offline tools use this too.
import { z } from "zod";
import { checkServerSettings, serverSettingsShape } from "./settings-server.js";
import { cidr, dnsLabel, imageByDigest, password } from "./settings-kinds.js";
import { quantityValue } from "./quantity.js";
import { describeIssue } from "./settings-wording.js";

export const PLATFORMS = ["aws", "local"] as const;
export type Platform = (typeof PLATFORMS)[number];

const quantity = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$/, "must be a Kubernetes quantity such as 250m, 1, 512Mi");
const wholeMemory = z
  .string()
  .regex(/^[1-9][0-9]*(Mi|Gi)$/, "must be a whole number of Mi or Gi, such as 512Mi or 2Gi");
const wholeStorage = z.string().regex(/^[1-9][0-9]*(Gi|Ti)$/, "must be a whole number of Gi or Ti, such as 20Gi");
const hostname = z
  .string()
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    "must be a fully qualified lower-case host name",
  );
const httpsUrl = z.url({ protocol: /^https$/ });
const cronSchedule = z.string().regex(/^(\S+\s+){4}\S+$/, "must be a five-field cron schedule");
const chartVersion = z.string().regex(/^v?\d+\.\d+\.\d+(-[\w.]+)?$/, "must be an exact chart version");
const accessKeyId = z.string().regex(/^[A-Za-z0-9]{8,128}$/, "must be 8 to 128 letters and digits");
const oidcProviderArn = z
  .string()
  .regex(
    /^arn:aws[\w-]*:iam::\d{12}:oidc-provider\/.+$/,
    "must be an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer>)",
  );

/** Every setting with its default (config-docs.ts says what each means; Pulumi.yaml mirrors both). */
export const settingsSchema = z
  .object({
    platform: z.enum(PLATFORMS),
    namespace: dnsLabel.default("mcp-bastion"),
    imageRef: imageByDigest.optional(),
    imageRepository: z
      .string()
      .regex(/^[a-z0-9.:-]+(\/[a-z0-9._-]+)+$/, "must be a registry repository such as localhost:5001/mcp-bastion")
      .optional(),
    imageServerArgs: z.array(z.string().min(1)).min(1).default(["dist/main.js"]),
    imageBackupArgs: z.array(z.string().min(1)).min(1).default(["dist/main.js", "backup"]),
    mcpHost: hostname,
    mcpReplicas: z
      .number()
      .int()
      .min(2, "must be at least 2 so a disruption never takes the service down")
      .max(50)
      .default(2),
    mcpMaxReplicas: z.number().int().min(2).max(100).default(6),
    mcpCpuRequest: quantity.default("250m"),
    mcpCpuLimit: quantity.default("1"),
    mcpMemoryRequest: wholeMemory.default("256Mi"),
    mcpMemoryLimit: wholeMemory.default("512Mi"),
    authIssuer: z.string().min(1),
    authJwksUrl: httpsUrl.optional(),
    authJwks: z.string().min(1).optional(),
    authAuthorizationServers: z.array(httpsUrl).default([]),
    authScopeClaim: z.string().min(1).default("scope"),
    authRolesClaim: z.string().min(1).optional(),
    authGroupsClaim: z.string().min(1).optional(),
    authGroupRoles: z
      .array(
        z
          .string()
          .regex(
            /^[^=]{1,256}=(guest|readonly|operator|admin)$/,
            "must be group=role, the role one of guest, readonly, operator, admin",
          ),
      )
      .default([]),
    authEgressCidrs: z.array(cidr).default([]),
    authEgressNamespace: dnsLabel.optional(),
    authEgressPort: z.number().int().min(1).max(65535).default(443),
    trustedProxyCidrs: z
      .array(cidr)
      .default([
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "fc00::/7",
        "::1/128",
      ]),
    ingressClassName: dnsLabel.default("nginx"),
    ingressNamespace: dnsLabel.default("ingress-nginx"),
    publicIssuer: z.enum(["ca", "acme"]).default("ca"),
    acmeEmail: z.email().optional(),
    acmeServer: httpsUrl.default("https://acme-v02.api.letsencrypt.org/directory"),
    neo4jImage: imageByDigest.default(
      "neo4j:5.26-community@sha256:362542416de6c09a971484d1893878016cc3b5cdec166e54b1c824a220ecd6b9",
    ),
    neo4jStorageClass: dnsLabel,
    neo4jStorageSize: wholeStorage.default("20Gi"),
    neo4jCpuRequest: quantity.default("500m"),
    neo4jCpuLimit: quantity.default("2"),
    neo4jMemoryRequest: wholeMemory.default("2Gi"),
    neo4jMemoryLimit: wholeMemory.default("2Gi"),
    backupSchedule: cronSchedule.default("17 */6 * * *"),
    backupRetentionDays: z.number().int().min(1).max(3650).default(30),
    backupObjectLock: z.boolean().default(false),
    backupPrefix: z
      .string()
      .regex(/^[a-z0-9][a-z0-9/_-]*\/$/, "must be a key prefix ending in '/'")
      .default("backups/"),
    backupS3EgressCidrs: z.array(cidr).default([]),
    meshEnabled: z.boolean().default(true),
    installCertManager: z.boolean().default(true),
    installTrustManager: z.boolean().default(true),
    installLinkerd: z.boolean().default(true),
    certManagerChartVersion: chartVersion.default("v1.19.1"),
    trustManagerChartVersion: chartVersion.default("v0.20.2"),
    linkerdChartVersion: chartVersion.default("2025.10.2"),
    certManagerNamespace: dnsLabel.default("cert-manager"),
    linkerdNamespace: dnsLabel.default("linkerd"),
    prometheusOperator: z.boolean().default(false),
    prometheusNamespace: dnsLabel.default("monitoring"),
    awsOidcProviderArn: oidcProviderArn.optional(),
    awaitReadiness: z.boolean().default(true),
    neo4jPassword: password.optional(),
    objectStoreAccessKeyId: accessKeyId.optional(),
    objectStoreSecretAccessKey: password.optional(),
    sandboxEnabled: z.boolean().default(true),
    sandboxReplicas: z.number().int().min(1).max(20).default(2),
    sandboxCpuRequest: quantity.default("500m"),
    sandboxCpuLimit: quantity.default("2"),
    sandboxMemoryRequest: wholeMemory.default("1Gi"),
    sandboxMemoryLimit: wholeMemory.default("2Gi"),
    sandboxPoolSize: z.number().int().min(0).max(32).default(2),
    sandboxMaxConcurrent: z.number().int().min(1).max(256).default(2),
    sandboxMaxPerUser: z.number().int().min(1).max(64).default(1),
    sandboxMemoryMiB: z.number().int().min(32).max(2048).default(256),
    sandboxMaxTimeMs: z.number().int().min(100).max(600_000).default(10_000),
    sandboxStrict: z.boolean().default(false),
    minioImage: imageByDigest.default(
      "docker.io/alpine/minio:RELEASE.2025-10-15T17-29-55Z@sha256:cf23643a6cf9ce159c57643ceb88279e431262282428c9e0bf3a7ef1a97e84b4",
    ),
    ...serverSettingsShape,
  })
  .strict()
  .superRefine((settings, ctx) => {
    const problem = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (settings.mcpMaxReplicas < settings.mcpReplicas) problem("mcpMaxReplicas", "must be at least mcpReplicas");
    checkServerSettings(settings, problem);
    for (const [request, limit] of [
      ["mcpCpuRequest", "mcpCpuLimit"],
      ["mcpMemoryRequest", "mcpMemoryLimit"],
      ["neo4jCpuRequest", "neo4jCpuLimit"],
      ["neo4jMemoryRequest", "neo4jMemoryLimit"],
      ["sandboxCpuRequest", "sandboxCpuLimit"],
      ["sandboxMemoryRequest", "sandboxMemoryLimit"],
    ] as const) {
      if (quantityValue(settings[request]) > quantityValue(settings[limit]))
        problem(request, `must not exceed ${limit} (${settings[limit]})`);
    }
    // Idle warm workers hold about 200 MiB each; a running one up to its memory cap and 320 MiB more.
    const sandboxPeak =
      settings.sandboxPoolSize * 200 * 2 ** 20 +
      settings.sandboxMaxConcurrent * (settings.sandboxMemoryMiB + 320) * 2 ** 20;
    if (settings.sandboxEnabled && quantityValue(settings.sandboxMemoryLimit) < sandboxPeak) {
      problem(
        "sandboxMemoryLimit",
        `must hold the pool's peak of ${Math.ceil(sandboxPeak / 2 ** 20)}Mi (sandboxPoolSize x 200Mi + sandboxMaxConcurrent x (sandboxMemoryMiB + 320Mi))`,
      );
    }
    if (settings.publicIssuer === "acme" && !settings.acmeEmail)
      problem("acmeEmail", "is required when publicIssuer is acme");
    if (!settings.imageRef && !settings.imageRepository && settings.platform === "local") {
      problem("imageRepository", "is required on the local platform unless imageRef pins a prebuilt image");
    }
    if ((settings.objectStoreAccessKeyId === undefined) !== (settings.objectStoreSecretAccessKey === undefined)) {
      problem(
        settings.objectStoreAccessKeyId === undefined ? "objectStoreAccessKeyId" : "objectStoreSecretAccessKey",
        "is required with the other object store key: set both or neither",
      );
    }
    if (!settings.authJwksUrl === !settings.authJwks)
      problem("authJwksUrl", "set exactly one of authJwksUrl and authJwks");
    if (settings.authJwks) {
      const keys = jwksKeys(settings.authJwks);
      if (keys === undefined)
        problem("authJwks", 'must be a JWKS: JSON of the form {"keys": [...]} with at least one key');
      // The development key (kid mcp-bastion-dev-..., `npm start`'s) is never trusted by a deployment.
      else if (keys.some((key) => typeof key.kid === "string" && key.kid.startsWith("mcp-bastion-dev-")))
        problem("authJwks", "holds the local development key, which a deployment refuses to trust");
    }
    if (!settings.authGroupsClaim !== (settings.authGroupRoles.length === 0)) {
      problem(
        settings.authGroupsClaim ? "authGroupRoles" : "authGroupsClaim",
        "set authGroupsClaim and authGroupRoles together, or neither",
      );
    }
    if (settings.platform === "aws") {
      for (const key of ["objectStoreAccessKeyId", "objectStoreSecretAccessKey"] as const) {
        if (settings[key] !== undefined)
          problem(key, "applies only to the local platform's MinIO (aws backups use the IAM role)");
      }
      if (!settings.awsOidcProviderArn)
        problem("awsOidcProviderArn", "is required on the aws platform (the backup role trusts it)");
      if (settings.backupS3EgressCidrs.length === 0)
        problem("backupS3EgressCidrs", "is required on the aws platform: the backup job may reach S3 only there");
    }
  });

function jwksKeys(text: string): Array<{ kid?: unknown }> | undefined {
  try {
    const keys = (JSON.parse(text) as { keys?: unknown }).keys;
    return Array.isArray(keys) && keys.length > 0 && keys.every((key) => typeof key === "object" && key !== null)
      ? (keys as Array<{ kid?: unknown }>)
      : undefined;
  } catch {
    return undefined;
  }
}

export { quantityValue } from "./quantity.js";

export type Settings = z.output<typeof settingsSchema>;
export type SettingKey = keyof z.input<typeof settingsSchema>;

/** The JSON kind a setting holds (string, number, boolean, array, enum), read off the schema. */
export function settingKind(key: string): string | undefined {
  let current = (settingsSchema.shape as Record<string, z.ZodType | undefined>)[key];
  while (current instanceof z.ZodDefault || current instanceof z.ZodOptional) current = current.unwrap() as z.ZodType;
  return current?.def.type;
}

/** The default of a setting; undefined when it has none (required, or optional without one). */
export function settingDefault(key: string): unknown {
  const schema = (settingsSchema.shape as Record<string, z.ZodType | undefined>)[key];
  return schema instanceof z.ZodDefault ? (schema.def.defaultValue as unknown) : undefined;
}

/**
 * Settings that hold credentials: a stack must keep them as Pulumi secrets (encrypted in the
 * stack file, `pulumi config set --secret`), and the program handles them only as secrets.
 */
export const SECRET_SETTINGS: ReadonlySet<string> = new Set([
  "neo4jPassword",
  "objectStoreAccessKeyId",
  "objectStoreSecretAccessKey",
  "rateLimitStorePassword",
] satisfies SettingKey[]);

export const isOptionalSetting = (key: string): boolean =>
  (settingsSchema.shape as Record<string, z.ZodType | undefined>)[key] instanceof z.ZodOptional;

export class SettingsError extends Error {
  override readonly name = "SettingsError";
  readonly code = "ERR_STACK_SETTINGS";
}

/** Every problem of raw stack values (keys without the project prefix), one line per key. */
export function settingsProblems(
  raw: Record<string, unknown>,
): { settings: Settings; problems: [] } | { problems: string[] } {
  const parsed = settingsSchema.safeParse(raw);
  if (parsed.success) return { settings: parsed.data, problems: [] };
  return {
    problems: parsed.error.issues.map(describeIssue),
  };
}

export const settingsError = (problems: readonly string[]): SettingsError =>
  new SettingsError(`invalid stack configuration:\n  ${problems.join("\n  ")}`);

/** Validates raw stack values (keys without the project prefix); throws naming every bad key. */
export function parseSettings(raw: Record<string, unknown>): Settings {
  const result = settingsProblems(raw);
  if ("settings" in result) return result.settings;
  throw settingsError(result.problems);
}

/** The canonical resource URI tokens must name as their audience (RFC 8707). */
export const mcpResourceUrl = (settings: Settings): string => `https://${settings.mcpHost}/mcp`;
