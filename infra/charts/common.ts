// What every chart shares: names, ports, labels and the Pod Security "restricted" settings that
// cdk8s-plus-28 leaves out (seccomp, dropped capabilities, explicit ids).
import { ApiObject, JsonPatch, Size } from "cdk8s";
import type { Construct } from "constructs";
import * as kplus from "cdk8s-plus-28";
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
export function restrictedContainer(id: number): kplus.ContainerSecurityContextProps {
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

export function restrictedPod(id: number): kplus.PodSecurityContextProps {
  return {
    ensureNonRoot: true,
    user: id,
    group: id,
    fsGroup: id,
    fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
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

/** Resources as requests and limits from config strings. */
export function resources(
  cpuRequest: string,
  cpuLimit: string,
  memoryRequest: string,
  memoryLimit: string,
): kplus.ContainerResources {
  return {
    cpu: { request: cpuOf(cpuRequest), limit: cpuOf(cpuLimit) },
    memory: { request: sizeOf(memoryRequest), limit: sizeOf(memoryLimit) },
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
