// Each chart's documented defaults are the stack's: a chart given only its required props
// synthesizes exactly what the kit synthesizes for a stack that leaves every setting at its
// default. So a chart used on its own behaves as the kit does, and the @default docs hold.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { App, type Chart } from "cdk8s";
import type { Construct } from "constructs";
import { BackupChart } from "../charts/backup.js";
import { kitApps, type DeployValues } from "../charts/index.js";
import { McpServerChart } from "../charts/mcp-server.js";
import { sandboxLimits, serverEnvironment } from "../charts/mcp-server-env.js";
import { MeshIdentityChart, MeshPolicyChart } from "../charts/mesh.js";
import { MonitoringChart } from "../charts/monitoring.js";
import { NamespaceChart } from "../charts/namespace.js";
import { Neo4jChart } from "../charts/neo4j.js";
import { NetworkPolicyChart } from "../charts/network-policies.js";
import { PkiChart } from "../charts/pki.js";
import { SandboxChart } from "../charts/sandbox.js";
import { parseSettings } from "../config.js";
import { MINIMAL_LOCAL_SETTINGS } from "./support/settings.js";

// Monitoring is off by default; it is the one switch turned on, to have its chart to compare.
const settings = parseSettings({ ...MINIMAL_LOCAL_SETTINGS, prometheusOperator: true });
const deploy: DeployValues = {
  mcpImage: `registry.example/mcp@sha256:${"b".repeat(64)}`,
  bucket: "backups",
  s3Region: "us-east-1",
  s3Endpoint: "http://minio:9000",
};
const { namespace, mcpHost } = settings;

const kitCharts = (() => {
  const apps = kitApps(settings, deploy);
  return new Map([...apps.platform.charts, ...apps.workloads.charts].map((chart) => [chart.node.id, chart]));
})();

const alone = (make: (scope: Construct) => Chart): unknown[] => make(new App()).toJson();

const minimal: Record<string, (scope: Construct) => Chart> = {
  namespace: (scope) => new NamespaceChart(scope, "namespace", { name: namespace }),
  pki: (scope) => new PkiChart(scope, "pki", { namespace, mcpHost }),
  "mesh-identity": (scope) => new MeshIdentityChart(scope, "mesh-identity", { namespace }),
  "mesh-policy": (scope) => new MeshPolicyChart(scope, "mesh-policy", { namespace, objectStore: true }),
  "network-policies": (scope) =>
    new NetworkPolicyChart(scope, "network-policies", { namespace, backupTarget: "object-store" }),
  neo4j: (scope) =>
    new Neo4jChart(scope, "neo4j", {
      namespace,
      image: settings.neo4jImage,
      storageClass: settings.neo4jStorageClass,
    }),
  "mcp-server": (scope) =>
    new McpServerChart(scope, "mcp-server", {
      namespace,
      image: deploy.mcpImage,
      host: mcpHost,
      environment: serverEnvironment(settings),
    }),
  backup: (scope) => new BackupChart(scope, "backup", { ...deploy, namespace, image: deploy.mcpImage }),
  sandbox: (scope) =>
    new SandboxChart(scope, "sandbox", { namespace, image: deploy.mcpImage, limits: sandboxLimits(settings) }),
  monitoring: (scope) => new MonitoringChart(scope, "monitoring", { namespace }),
};

describe("chart props", () => {
  for (const [id, make] of Object.entries(minimal)) {
    it(`${id}: only the required props give what the kit gives a stack at its defaults`, () => {
      const kit = kitCharts.get(id);
      assert.ok(kit, `the kit has a ${id} chart`);
      assert.deepEqual(alone(make), kit.toJson());
    });
  }

  it("covers every chart with defaults the kit declares for a local stack", () => {
    const withoutDefaults = new Set(["object-store"]);
    assert.deepEqual(
      [...kitCharts.keys()].filter((id) => !withoutDefaults.has(id)).sort(),
      Object.keys(minimal).sort(),
    );
  });
});
