// Every Kubernetes object the kit declares, as a pure function of the stack's settings and the
// values only a deployment knows. No Pulumi here: `npm run synth`, the policy checker and the
// tests call this directly.
import { App } from "cdk8s";
import type { Settings } from "../config.js";
import { BackupChart } from "./backup.js";
import type { DeployValues } from "./deploy-values.js";
import { McpServerChart } from "./mcp-server.js";
import { MeshIdentityChart, MeshPolicyChart } from "./mesh.js";
import { MonitoringChart } from "./monitoring.js";
import { NamespaceChart } from "./namespace.js";
import { Neo4jChart } from "./neo4j.js";
import { NetworkPolicyChart } from "./network-policies.js";
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
 * workloads after it, so every pod starts meshed. */
export function kitApps(settings: Settings, deploy: DeployValues): { platform: App; workloads: App } {
  const platform = new App();
  new NamespaceChart(platform, "namespace", settings);
  new PkiChart(platform, "pki", settings);
  if (settings.meshEnabled && settings.installLinkerd) new MeshIdentityChart(platform, "mesh-identity", settings);

  const app = new App();
  if (settings.meshEnabled) new MeshPolicyChart(app, "mesh-policy", settings);
  new NetworkPolicyChart(app, "network-policies", settings);
  new Neo4jChart(app, "neo4j", settings);
  if (settings.platform === "local") new ObjectStoreChart(app, "object-store", settings);
  if (settings.rateLimitStore === "valkey") new RateLimitStoreChart(app, "rate-limit-store", settings);
  new McpServerChart(app, "mcp-server", settings, deploy);
  new BackupChart(app, "backup", settings, deploy);
  if (settings.sandboxEnabled) new SandboxChart(app, "sandbox", settings, deploy);
  if (settings.prometheusOperator) new MonitoringChart(app, "monitoring", settings);
  return { platform, workloads: app };
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
