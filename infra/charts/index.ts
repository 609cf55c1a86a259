// Every Kubernetes object the kit declares, as a pure function of the stack's settings and the
// values only a deployment knows: the one place the settings are mapped onto each chart's
// props. No Pulumi here: `npm run synth`, the policy checker and the
// tests call this directly.
import { App } from "cdk8s";
import type { Settings } from "../config.js";
import { urlPort } from "../settings-server.js";
import { BackupChart } from "./backup.js";
import { NAMES, PORTS } from "./common.js";
import type { DeployValues } from "./deploy-values.js";
import { McpServerChart } from "./mcp-server.js";
import { mountsLimitStorePassword, sandboxLimits, serverEnvironment, telemetryEnv } from "./mcp-server-env.js";
import { MeshIdentityChart, MeshPolicyChart } from "./mesh.js";
import { MonitoringChart } from "./monitoring.js";
import { NamespaceChart } from "./namespace.js";
import { Neo4jChart } from "./neo4j.js";
import { NetworkPolicyChart, type NetworkPolicyProps } from "./network-policies.js";
import { ObjectStoreChart } from "./object-store.js";
import { PkiChart } from "./pki.js";
import { RateLimitStoreChart } from "./rate-limit-store.js";
import { SandboxChart } from "./sandbox.js";

export type { DeployValues } from "./deploy-values.js";

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** The cdk8s apps of the kit, in the order they are applied: the platform objects (namespace,
 * issuers, certificates, the mesh's identity) come before the mesh's control plane, the
 * workloads after it, so every pod starts meshed. Each chart gets its props from the settings here. */
export function kitApps(settings: Settings, deploy: DeployValues): { platform: App; workloads: App } {
  const { namespace, certManagerNamespace, linkerdNamespace } = settings;
  const valkey = settings.rateLimitStore === "valkey";
  const objectStore = settings.platform === "local";
  const platform = new App();
  new NamespaceChart(platform, "namespace", { name: namespace, mesh: settings.meshEnabled });
  new PkiChart(platform, "pki", {
    namespace,
    certManagerNamespace,
    mcpHost: settings.mcpHost,
    ...(settings.publicIssuer === "acme"
      ? { acme: { email: settings.acmeEmail as string, server: settings.acmeServer } }
      : {}),
    ingressClassName: settings.ingressClassName,
    ingressNamespace: settings.ingressNamespace,
    valkeyCertificate: valkey,
  });
  if (settings.meshEnabled && settings.installLinkerd)
    new MeshIdentityChart(platform, "mesh-identity", { namespace, certManagerNamespace, linkerdNamespace });

  const app = new App();
  if (settings.meshEnabled) new MeshPolicyChart(app, "mesh-policy", { namespace, rateLimitStore: valkey, objectStore });
  new NetworkPolicyChart(app, "network-policies", networkPolicyProps(settings));
  new Neo4jChart(app, "neo4j", {
    namespace,
    image: settings.neo4jImage,
    storageClass: settings.neo4jStorageClass,
    storageSize: settings.neo4jStorageSize,
    resources: {
      cpuRequest: settings.neo4jCpuRequest,
      cpuLimit: settings.neo4jCpuLimit,
      memoryRequest: settings.neo4jMemoryRequest,
      memoryLimit: settings.neo4jMemoryLimit,
    },
  });
  if (objectStore)
    new ObjectStoreChart(app, "object-store", {
      namespace,
      image: settings.minioImage,
      storageClass: settings.neo4jStorageClass,
    });
  if (valkey) {
    if (!settings.valkeyImage) throw new Error("rateLimitStore valkey needs valkeyImage");
    new RateLimitStoreChart(app, "rate-limit-store", { namespace, image: settings.valkeyImage });
  }
  new McpServerChart(app, "mcp-server", {
    namespace,
    image: deploy.mcpImage,
    args: settings.imageServerArgs,
    host: settings.mcpHost,
    ingressClassName: settings.ingressClassName,
    minReplicas: settings.mcpReplicas,
    maxReplicas: settings.mcpMaxReplicas,
    resources: {
      cpuRequest: settings.mcpCpuRequest,
      cpuLimit: settings.mcpCpuLimit,
      memoryRequest: settings.mcpMemoryRequest,
      memoryLimit: settings.mcpMemoryLimit,
    },
    ...(settings.authJwks ? { jwks: settings.authJwks } : {}),
    environment: serverEnvironment(settings),
    limitStorePassword: mountsLimitStorePassword(settings),
  });
  new BackupChart(app, "backup", {
    ...deploy,
    namespace,
    image: deploy.mcpImage,
    args: settings.imageBackupArgs,
    schedule: settings.backupSchedule,
    prefix: settings.backupPrefix,
    telemetry: telemetryEnv(settings, NAMES.backup),
  });
  if (settings.sandboxEnabled)
    new SandboxChart(app, "sandbox", {
      namespace,
      image: deploy.mcpImage,
      entryScript: settings.imageServerArgs[0] as string,
      replicas: settings.sandboxReplicas,
      resources: {
        cpuRequest: settings.sandboxCpuRequest,
        cpuLimit: settings.sandboxCpuLimit,
        memoryRequest: settings.sandboxMemoryRequest,
        memoryLimit: settings.sandboxMemoryLimit,
      },
      poolSize: settings.sandboxPoolSize,
      maxConcurrent: settings.sandboxMaxConcurrent,
      limits: sandboxLimits(settings),
    });
  if (settings.prometheusOperator)
    new MonitoringChart(app, "monitoring", { namespace, certManagerNamespace, linkerdNamespace });
  return { platform, workloads: app };
}

/** The flows the stack's settings call for, as the NetworkPolicy chart's props. */
export function networkPolicyProps(settings: Settings): NetworkPolicyProps {
  const identityProvider = { cidrs: settings.authEgressCidrs, port: settings.authEgressPort };
  return {
    namespace: settings.namespace,
    ingressNamespace: settings.ingressNamespace,
    prometheusNamespace: settings.prometheusNamespace,
    linkerdNamespace: settings.linkerdNamespace,
    mesh: settings.meshEnabled,
    sandbox: settings.sandboxEnabled,
    identityProvider: settings.authEgressNamespace
      ? { ...identityProvider, namespace: settings.authEgressNamespace }
      : identityProvider,
    ...(settings.otelEndpoint
      ? {
          telemetryCollector: {
            cidrs: settings.otelEgressCidrs,
            port: urlPort(settings.otelEndpoint),
            ...(settings.otelEgressNamespace ? { namespace: settings.otelEgressNamespace } : {}),
          },
        }
      : {}),
    ...(settings.rateLimitStore === "valkey" ? { rateLimitStore: "in-cluster" as const } : {}),
    ...(settings.rateLimitStore === "external" && settings.rateLimitStoreUrl
      ? {
          rateLimitStore: {
            cidrs: settings.rateLimitStoreEgressCidrs,
            port: urlPort(settings.rateLimitStoreUrl, PORTS.valkey),
          },
        }
      : {}),
    backupTarget: settings.platform === "local" ? "object-store" : { s3Cidrs: settings.backupS3EgressCidrs },
  };
}

export interface KitObjects {
  platform: KubeObject[];
  workloads: KubeObject[];
}

const objectsOf = (app: App): KubeObject[] => app.charts.flatMap((chart) => chart.toJson() as KubeObject[]);

export function kitObjects(settings: Settings, deploy: DeployValues): KitObjects {
  const apps = kitApps(settings, deploy);
  return { platform: objectsOf(apps.platform), workloads: objectsOf(apps.workloads) };
}

/** A stable identity for an object: what Pulumi names its resource and synth its file. */
export function objectKey(object: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): string {
  const group = object.apiVersion.includes("/") ? object.apiVersion.split("/")[0] : "core";
  return [group, object.kind, object.metadata.namespace ?? "_cluster", object.metadata.name].join("/");
}
