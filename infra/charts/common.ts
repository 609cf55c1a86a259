// What every chart shares: names, ports, labels, the Pod Security "restricted" settings that
// cdk8s-plus-28 leaves out (seccomp, dropped capabilities, explicit ids) stated once for every
// workload and container, and the limits the sandbox and its client both hold.
import { createHash } from "node:crypto";
import { ApiObject, Duration, JsonPatch, Size, type ApiObjectMetadata } from "cdk8s";
import type { Construct } from "constructs";
import * as kplus from "cdk8s-plus-28";
import { IntOrString, KubePodDisruptionBudget } from "cdk8s-plus-28/lib/imports/k8s.js";
import { wholeAmount } from "../quantity.js";

export const PART_OF = "mcp-bastion";

/** Object names inside the kit's namespace; NetworkPolicies, mesh policies and tests refer to them. */
export const NAMES = {
  mcp: "mcp-server",
  mcpConfig: "mcp-server-config",
  neo4j: "neo4j",
  neo4jCredentials: "neo4j-credentials",
  neo4jTls: "neo4j-bolt-tls",
  backup: "neo4j-backup",
  backupConfig: "neo4j-backup-config",
  objectStore: "minio",
  objectStoreCredentials: "minio-credentials",
  caBundle: "mcp-bastion-ca-bundle",
  publicTls: "mcp-server-public-tls",
  /** The MCP pod's own serving certificate: the ingress controller re-encrypts to it. */
  mcpTls: "mcp-server-tls",
  /** The ingress controller's client identity towards the MCP pod; its Secret carries the CA it verifies with. */
  ingressClientTls: "mcp-server-ingress-client-tls",
  /** run_python's programs run here, in a pod of their own with nothing to steal. */
  sandbox: "python-sandbox",
  sandboxConfig: "python-sandbox-config",
  /** The shared rate-limit store (rateLimitStore valkey), its password and its serving certificate. */
  valkey: "valkey",
  limitStoreCredentials: "rate-limit-store-credentials",
  valkeyTls: "valkey-tls",
} as const;

export const PORTS = {
  mcp: 8080,
  metrics: 9464,
  bolt: 7687,
  objectStore: 9000,
  https: 443,
  valkey: 6379,
  dns: 53,
  linkerdProxyInbound: 4143,
  linkerdProxyAdmin: 4191,
  /** linkerd-destination, linkerd-identity and the policy controller. */
  linkerdControlPlane: [8086, 8080, 8090],
  sandbox: 8090,
} as const;

/** Non-root ids at or above 10000, so they never collide with a host's system accounts. */
export const IDS = {
  mcp: 10001,
  neo4j: 10002,
  backup: 10003,
  objectStore: 10004,
  sandbox: 10005,
  valkey: 10006,
} as const;

export type Component = "mcp-server" | "neo4j" | "backup" | "object-store" | "sandbox" | "rate-limit-store";

/** The labels a component's pods carry and every selector in the kit matches on. */
export function podLabels(component: Component): Record<string, string> {
  return { "app.kubernetes.io/name": component, "app.kubernetes.io/part-of": PART_OF };
}

export function objectLabels(component: Component | "platform", version?: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": component,
    "app.kubernetes.io/part-of": PART_OF,
    "app.kubernetes.io/managed-by": "pulumi",
    ...(version ? { "app.kubernetes.io/version": version } : {}),
  };
}

/** The container security context every kit container runs with ("restricted" and then some). */
function restrictedContext(id: number): kplus.ContainerSecurityContextProps {
  return {
    ensureNonRoot: true,
    user: id,
    group: id,
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: [kplus.Capability.ALL] },
    seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
  };
}

/**
 * A kit container: the image pulled only when absent, and the restricted security context for
 * `id`, which the container's own props cannot loosen.
 */
export function restrictedContainer(id: number, props: kplus.ContainerProps): kplus.ContainerProps {
  return { imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT, ...props, securityContext: restrictedContext(id) };
}

function restrictedPod(id: number): kplus.PodSecurityContextProps {
  return {
    ensureNonRoot: true,
    user: id,
    group: id,
    fsGroup: id,
    fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
  };
}

/** What every kit workload's pod template says alike, for a Deployment, StatefulSet or CronJob's props. */
export interface RestrictedWorkload {
  readonly metadata: ApiObjectMetadata;
  readonly select: false;
  readonly spread: false;
  readonly podMetadata: ApiObjectMetadata;
  readonly automountServiceAccountToken: false;
  readonly serviceAccount: kplus.ServiceAccount;
  readonly securityContext: kplus.PodSecurityContextProps;
}

/**
 * A workload named `name` whose pods run as `id` under the restricted pod context, with a
 * ServiceAccount of their own (same name) and no API token mounted. Its selector is set by
 * selectPods, on the component's labels only.
 */
export function restrictedWorkload(
  scope: Construct,
  name: string,
  id: number,
  podMetadata: ApiObjectMetadata,
): RestrictedWorkload {
  return {
    metadata: { name },
    select: false,
    spread: false,
    podMetadata,
    automountServiceAccountToken: false,
    serviceAccount: new kplus.ServiceAccount(scope, "service-account", { metadata: { name }, automountToken: false }),
    securityContext: restrictedPod(id),
  };
}

/**
 * cdk8s-plus-28 has no pod-level seccomp field; set it there too, so a container added later
 * (an injected sidecar, a debug container) inherits RuntimeDefault instead of Unconfined.
 */
export function pinPodSeccomp(workload: kplus.AbstractPod | kplus.Workload, podSpecPath: string): void {
  ApiObject.of(workload).addJsonPatch(
    JsonPatch.add(`${podSpecPath}/securityContext/seccompProfile`, { type: "RuntimeDefault" }),
  );
}

/** Selects a Deployment's or StatefulSet's pods by `labels`, and pins their pod-level seccomp. */
export function selectPods(workload: kplus.Deployment | kplus.StatefulSet, labels: Record<string, string>): void {
  workload.select(kplus.LabelSelector.of({ labels }));
  pinPodSeccomp(workload, "/spec/template/spec");
}

/**
 * Spreads the pods carrying `labels` over each topology key, at most one pod apart; the value
 * says whether a pod that cannot be placed evenly still schedules (ScheduleAnyway) or waits.
 */
export function spreadPods(
  workload: kplus.Deployment,
  labels: Record<string, string>,
  topologies: Readonly<Record<string, "ScheduleAnyway" | "DoNotSchedule">>,
): void {
  ApiObject.of(workload).addJsonPatch(
    JsonPatch.add(
      "/spec/template/spec/topologySpreadConstraints",
      Object.entries(topologies).map(([topologyKey, whenUnsatisfiable]) => ({
        maxSkew: 1,
        topologyKey,
        whenUnsatisfiable,
        labelSelector: { matchLabels: labels },
      })),
    ),
  );
}

/** A container's CPU and memory, requests and limits, as Kubernetes quantities. */
export interface ResourceProps {
  /** CPU reserved, such as 250m or 1. */
  readonly cpuRequest: string;
  /** CPU at most, such as 1 or 2. */
  readonly cpuLimit: string;
  /** Memory reserved, a whole number of Mi or Gi. */
  readonly memoryRequest: string;
  /** Memory at most, a whole number of Mi or Gi: past it the container is killed. */
  readonly memoryLimit: string;
}

/** Resources as requests and limits from config strings. */
export function resources({
  cpuRequest,
  cpuLimit,
  memoryRequest,
  memoryLimit,
}: ResourceProps): kplus.ContainerResources {
  return {
    cpu: { request: cpuOf(cpuRequest), limit: cpuOf(cpuLimit) },
    memory: { request: sizeOf(memoryRequest), limit: sizeOf(memoryLimit) },
  };
}

/** The /healthz (started, live) and /readyz (ready) probes of a server built from app/. */
export function healthProbes(
  port: number,
  scheme?: kplus.ConnectionScheme,
): Pick<kplus.ContainerProps, "startup" | "liveness" | "readiness"> {
  const probe = (path: string, period: number, failureThreshold: number) =>
    kplus.Probe.fromHttpGet(path, {
      port,
      ...(scheme ? { scheme } : {}),
      periodSeconds: Duration.seconds(period),
      failureThreshold,
    });
  return { startup: probe("/healthz", 2, 30), liveness: probe("/healthz", 10, 3), readiness: probe("/readyz", 5, 2) };
}

/** A ClusterIP Service named `name` in front of the pods carrying `labels`. */
export function clusterService(
  scope: Construct,
  name: string,
  labels: Record<string, string>,
  ports: ReadonlyArray<{ name: string; port: number }>,
  options: { headless?: boolean } = {},
): kplus.Service {
  const service = new kplus.Service(scope, "service", {
    metadata: { name },
    ...(options.headless ? { clusterIP: "None" } : {}),
    type: kplus.ServiceType.CLUSTER_IP,
    ports: ports.map(({ name: portName, port }) => ({ name: portName, port, targetPort: port })),
  });
  for (const [key, value] of Object.entries(labels)) service.selectLabel(key, value);
  return service;
}

/** At least one pod of `labels` stays up through a voluntary disruption (a drain, an upgrade). */
export function keepOnePod(scope: Construct, name: string, labels: Record<string, string>): void {
  new KubePodDisruptionBudget(scope, "pdb", {
    metadata: { name },
    spec: { minAvailable: IntOrString.fromNumber(1), selector: { matchLabels: labels } },
  });
}

/** What one run_python program may use: the sandbox enforces it, the MCP server announces it. */
export interface SandboxLimits {
  /** The longest a program may run, in milliseconds. */
  readonly maxTimeMs: number;
  /** A program's memory cap, in MiB. */
  readonly memoryMiB: number;
  /** Strict validation of every program (an import allowlist, no getattr, no dunder attribute). */
  readonly strict: boolean;
}

/** The limits both sides hold, as the environment app/ reads them. */
export function sandboxLimitsEnv(limits: SandboxLimits): Record<string, string> {
  return {
    SANDBOX_MAX_TIME_MS: String(limits.maxTimeMs),
    SANDBOX_DEFAULT_TIME_MS: String(Math.min(5_000, limits.maxTimeMs)),
    SANDBOX_MEMORY_MB: String(limits.memoryMiB),
    SANDBOX_STRICT: String(limits.strict),
  };
}

function cpuOf(quantity: string): kplus.Cpu {
  return quantity.endsWith("m") ? kplus.Cpu.millis(Number(quantity.slice(0, -1))) : kplus.Cpu.units(Number(quantity));
}

function sizeOf(quantity: string): Size {
  // Whole KiB: the largest unit every Ki, Mi, Gi and Ti quantity is a whole number of.
  return Size.kibibytes(wholeAmount(quantity, ["Ki", "Mi", "Gi", "Ti"], "memory quantity", 2 ** 10));
}

/** Mounts a Secret read-only (files 0440, group-readable by the pod's fsGroup); `items` maps keys to file names. */
export function mountSecretFiles(
  scope: Construct,
  container: kplus.Container,
  path: string,
  volume: string,
  secretName: string,
  items?: Record<string, string>,
): void {
  container.mount(
    path,
    kplus.Volume.fromSecret(scope, volume, kplus.Secret.fromSecretName(scope, `${volume}-secret`, secretName), {
      name: volume,
      defaultMode: 0o440,
      ...(items
        ? { items: Object.fromEntries(Object.entries(items).map(([key, file]) => [key, { path: file }])) }
        : {}),
    }),
    { readOnly: true },
  );
}

/** A digest of ConfigMap data: in the pod template, so a changed setting rolls the pods. */
export function configChecksum(...data: ReadonlyArray<Readonly<Record<string, string>>>): string {
  const hash = createHash("sha256");
  for (const map of data)
    hash.update(JSON.stringify(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  return hash.digest("hex");
}

// cert-manager objects, with the kit's fixed key and rotation settings.

export interface CertificateLifetime {
  duration: string;
  renewBefore: string;
}

/** Roots and intermediates: 90 days, renewed 30 days ahead. */
export const CA_LIFETIME: CertificateLifetime = { duration: "2160h", renewBefore: "720h" };
/** The public endpoint: 90 days (ACME's own), renewed 30 days ahead. */
export const PUBLIC_LIFETIME: CertificateLifetime = { duration: "2160h", renewBefore: "720h" };
/** Internal service certificates: a day, renewed a third of the way before expiry. */
export const INTERNAL_LIFETIME: CertificateLifetime = { duration: "24h", renewBefore: "8h" };

/** The ClusterIssuers of the kit in `namespace`: cluster-scoped, so named after it. */
export function issuerNames(namespace: string) {
  return {
    selfSigned: `${namespace}-selfsigned`,
    rootCa: `${namespace}-root-ca`,
    ca: `${namespace}-ca`,
    acme: `${namespace}-acme`,
  };
}

interface CertificateSpec extends CertificateLifetime {
  name: string;
  namespace: string;
  secretName: string;
  issuer: string;
  isCA?: boolean;
  commonName?: string;
  dnsNames?: string[];
  usages?: string[];
}

/** One cert-manager Certificate with the kit's fixed key and rotation settings. */
export function certificate(scope: Construct, spec: CertificateSpec): ApiObject {
  return new ApiObject(scope, `certificate-${spec.namespace}-${spec.name}`, {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: spec.name, namespace: spec.namespace },
    spec: {
      secretName: spec.secretName,
      secretTemplate: { labels: { "app.kubernetes.io/part-of": "mcp-bastion" } },
      duration: spec.duration,
      renewBefore: spec.renewBefore,
      privateKey: { algorithm: "ECDSA", size: 256, encoding: "PKCS8", rotationPolicy: "Always" },
      issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: spec.issuer },
      ...(spec.isCA ? { isCA: true } : {}),
      ...(spec.commonName ? { commonName: spec.commonName } : {}),
      ...(spec.dnsNames ? { dnsNames: spec.dnsNames } : {}),
      usages: spec.usages ?? (spec.isCA ? ["cert sign", "crl sign"] : ["server auth", "digital signature"]),
    },
  });
}

export function clusterIssuer(scope: Construct, name: string, spec: Record<string, unknown>): ApiObject {
  return new ApiObject(scope, `issuer-${name}`, {
    apiVersion: "cert-manager.io/v1",
    kind: "ClusterIssuer",
    metadata: { name },
    spec,
  });
}
