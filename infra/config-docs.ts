// What each stack setting means, for Pulumi.yaml's config schema and the README. The test
// keeps this, the schema in config.ts and Pulumi.yaml in step.
import { isOptionalSetting, settingDefault, settingKind, type SettingKey } from "./config.js";
import { SERVER_SETTING_DESCRIPTIONS } from "./settings-server.js";

export const SETTING_DESCRIPTIONS: Record<SettingKey, string> = {
  platform: "Where the kit runs: aws (EKS, S3, KMS, IRSA) or local (any cluster, MinIO inside it, no AWS calls).",
  namespace: "The namespace the kit owns: the MCP server, Neo4j, the backup job (and MinIO on local).",
  imageRef: "A prebuilt MCP server image pinned by digest (name@sha256:...). Empty: pulumi up builds app/Dockerfile.",
  imageRepository:
    "Registry repository the local platform pushes the built image to (aws builds into its own ECR repository).",
  imageServerArgs: "The image's command for the server (its entrypoint is node).",
  imageBackupArgs: "The image's command the backup CronJob runs.",
  mcpHost: "Public host name of the MCP endpoint; tokens must carry https://<mcpHost>/mcp as their audience.",
  mcpReplicas: "Least number of MCP server pods (the HPA's minimum; at least 2).",
  mcpMaxReplicas: "Most MCP server pods the HPA may run.",
  mcpCpuRequest: "CPU request of each MCP server pod.",
  mcpCpuLimit: "CPU limit of each MCP server pod.",
  mcpMemoryRequest: "Memory request of each MCP server pod.",
  mcpMemoryLimit: "Memory limit of each MCP server pod.",
  authIssuer: "The token issuer (iss) the server accepts.",
  authJwksUrl: "The issuer's JWKS (https only); or authJwks.",
  authJwks:
    "The issuer's public keys as JWKS JSON, mounted as a file instead of authJwksUrl: the local-cluster issuer of npm run token (never the development key).",
  authAuthorizationServers: "Authorization servers announced in the protected resource metadata (RFC 9728).",
  authScopeClaim: "The token claim of OAuth scopes; its mcp:guest ... mcp:admin scopes are the caller's role.",
  authRolesClaim:
    "A token claim naming roles directly (guest, readonly, operator, admin), such as Entra ID's app roles in roles; off unless set.",
  authGroupsClaim:
    "A token claim of group names (such as groups) whose groups authGroupRoles maps to roles; off unless set.",
  authGroupRoles:
    "The role each group of authGroupsClaim grants, as group=role entries (roles: guest, readonly, operator, admin), such as mcp-admins=admin.",
  authEgressCidrs:
    "Private addresses of the identity provider (its JWKS), which the public-HTTPS egress rule does not reach.",
  authEgressNamespace:
    "Namespace of an identity provider running in the cluster, which the MCP pods may then reach on authEgressPort.",
  authEgressPort: "TCP port of the identity provider's JWKS for authEgressCidrs and authEgressNamespace.",
  trustedProxyCidrs:
    "Peers whose X-Forwarded-For names the client (the ingress controller's pods, the mesh proxy); only the ingress namespace can reach the MCP port.",
  ingressClassName: "IngressClass of the cluster's ingress controller.",
  ingressNamespace: "Namespace the ingress controller's pods run in: the only source allowed to reach the MCP port.",
  publicIssuer: "Who signs the public certificate: ca (the kit's own CA) or acme (Let's Encrypt, HTTP-01).",
  acmeEmail: "Contact e-mail for the ACME account (required with publicIssuer acme).",
  acmeServer: "ACME directory URL.",
  neo4jImage: "Neo4j 5.26 Community image, pinned by digest.",
  neo4jStorageClass: "StorageClass of Neo4j's volume (and MinIO's on local).",
  neo4jStorageSize: "Size of Neo4j's volume (whole Gi or Ti).",
  neo4jCpuRequest: "CPU request of the Neo4j pod.",
  neo4jCpuLimit: "CPU limit of the Neo4j pod.",
  neo4jMemoryRequest: "Memory request of the Neo4j pod.",
  neo4jMemoryLimit: "Memory limit of the Neo4j pod (whole Mi or Gi); half becomes heap, a quarter page cache.",
  backupSchedule: "When the backup CronJob runs (five-field cron, UTC).",
  backupRetentionDays: "How long backups are kept (bucket lifecycle rule, and Object Lock when on).",
  backupObjectLock:
    "S3 Object Lock in governance mode for the retention period (takes effect when the bucket is created).",
  backupPrefix: "Key prefix of backups in the bucket (ends in /); the backup role may touch nothing else.",
  backupS3EgressCidrs:
    "Where the backup job may reach S3 over HTTPS (S3's ranges for the region, or a VPC endpoint's subnets); required on aws.",
  meshEnabled: "Linkerd mTLS between the kit's pods, inbound denied by default.",
  installCertManager: "Install cert-manager (Helm); off where the cluster already runs it.",
  installTrustManager: "Install trust-manager (Helm); off where the cluster already runs it.",
  installLinkerd: "Install Linkerd edge with its CNI plugin (Helm); off where the cluster already runs it.",
  certManagerChartVersion: "Pinned cert-manager chart version.",
  trustManagerChartVersion: "Pinned trust-manager chart version.",
  linkerdChartVersion: "Pinned Linkerd edge chart version (linkerd-crds, linkerd2-cni, linkerd-control-plane).",
  certManagerNamespace: "cert-manager's namespace (its cluster resource namespace, where CA secrets live).",
  linkerdNamespace: "Linkerd control plane's namespace.",
  prometheusOperator: "Create a ServiceMonitor and PrometheusRule (needs the Prometheus operator's CRDs).",
  prometheusNamespace: "Namespace Prometheus scrapes from: the only source allowed to reach metrics ports.",
  awsOidcProviderArn:
    "The EKS cluster's IAM OIDC provider ARN; the backup role trusts it for one ServiceAccount (required on aws).",
  awaitReadiness:
    "Wait until each object is ready (Deployments rolled out, Services with endpoints, Ingresses with an address) before an update succeeds; off applies the objects without waiting, for a cluster that runs them later.",
  neo4jPassword:
    "Neo4j's password, kept in your own vault and set as a secret (pulumi config set --secret). Empty: a random one is generated.",
  objectStoreAccessKeyId:
    "The local platform's MinIO access key id, set as a secret with objectStoreSecretAccessKey. Empty: random keys are generated.",
  objectStoreSecretAccessKey:
    "The local platform's MinIO secret key, set as a secret with objectStoreAccessKeyId. Empty: random keys are generated.",
  sandboxEnabled: "Deploy run_python's sandbox pod; off: the tool answers that it is not enabled.",
  sandboxReplicas: "Sandbox pods (each runs its own warm pool).",
  sandboxCpuRequest: "CPU request of each sandbox pod.",
  sandboxCpuLimit: "CPU limit of each sandbox pod.",
  sandboxMemoryRequest: "Memory request of each sandbox pod.",
  sandboxMemoryLimit:
    "Memory limit of each sandbox pod; must hold sandboxPoolSize x 200Mi + sandboxMaxConcurrent x (sandboxMemoryMiB + 320Mi).",
  sandboxPoolSize: "Warm interpreters each sandbox pod keeps booted (a cold one costs about 2 s).",
  sandboxMaxConcurrent: "Programs each sandbox pod runs at once; past it a call is refused, not queued.",
  sandboxMaxPerUser: "Programs one user may run at once (held by each MCP server pod).",
  sandboxMemoryMiB: "WebAssembly memory one program may grow to (MiB); past it Python raises MemoryError.",
  sandboxMaxTimeMs: "Longest time limit a call may ask for (wall and CPU time; the program is killed).",
  sandboxStrict: "Strict validation for every program (an import allowlist, no getattr, no dunder attribute).",
  minioImage:
    "MinIO image for the local platform's object store, pinned by digest. The default is RELEASE.2025-10-15T17-29-55Z, the first release with the fix for CVE-2025-62506 (a restricted service account or STS session could create service accounts with more rights than its own). MinIO publishes that release and later ones as source only, so the default is alpine/minio's build of that upstream tag; a review that accepts no third-party build sets an image of its own built from the tag.",
  ...SERVER_SETTING_DESCRIPTIONS,
};

export interface PulumiConfigEntry {
  type: "string" | "integer" | "boolean" | "array";
  description: string;
  default?: unknown;
  items?: { type: "string" };
}

const PULUMI_TYPES: Record<string, PulumiConfigEntry["type"]> = {
  string: "string",
  enum: "string",
  number: "integer",
  boolean: "boolean",
  array: "array",
};

/** The `config:` block of Pulumi.yaml, derived from the schema and the descriptions. */
export function pulumiConfigSchema(): Record<string, PulumiConfigEntry> {
  const entries: Record<string, PulumiConfigEntry> = {};
  for (const [key, description] of Object.entries(SETTING_DESCRIPTIONS)) {
    const kind = settingKind(key);
    const type = kind ? PULUMI_TYPES[kind] : undefined;
    if (!type) throw new Error(`setting ${key} has a kind (${kind}) Pulumi config cannot declare`);
    const fallback = settingDefault(key) ?? (isOptionalSetting(key) ? "" : undefined);
    entries[key] = {
      type,
      description,
      ...(type === "array" ? { items: { type: "string" } } : {}),
      ...(fallback !== undefined ? { default: fallback } : {}),
    };
  }
  return entries;
}
