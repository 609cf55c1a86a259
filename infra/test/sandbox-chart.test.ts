// The sandbox chart: a pod of its own that holds nothing, reached by the MCP server alone, and
// wired to the server through the ConfigMap; the stack settings bound its memory.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { kitObjects, type DeployValues, type KubeObject } from "../charts/index.js";
import { parseSettings } from "../config.js";
import { find, podTemplate, type Json } from "./support/objects.js";
import { MINIMAL_LOCAL_SETTINGS } from "./support/settings.js";

const deploy: DeployValues = {
  mcpImage: `registry.example/mcp@sha256:${"b".repeat(64)}`,
  bucket: "backups",
  s3Region: "us-east-1",
  s3Endpoint: "http://minio:9000",
};
const objects = (overrides: Record<string, unknown> = {}): KubeObject[] => {
  const { platform, workloads } = kitObjects(parseSettings({ ...MINIMAL_LOCAL_SETTINGS, ...overrides }), deploy);
  return [...platform, ...workloads];
};

describe("the sandbox chart", () => {
  it("runs the server's image as `sandbox`, with no token, no Secret, a read-only root and no mesh proxy", () => {
    const list = objects();
    const pod = podTemplate(find(list, "Deployment", "python-sandbox"));
    const spec = pod.spec as {
      automountServiceAccountToken: boolean;
      volumes: Json[];
      containers: Array<Json & { securityContext: Json; args: string[]; envFrom: Json[] }>;
    };
    assert.equal(spec.automountServiceAccountToken, false);
    assert.deepEqual(spec.volumes.map((volume) => Object.keys(volume).filter((key) => key !== "name")).flat(), [
      "emptyDir",
    ]);
    const [container] = spec.containers;
    assert.deepEqual(container?.args, ["dist/main.js", "sandbox"]);
    assert.equal(container?.image, deploy.mcpImage);
    assert.equal(container?.securityContext.readOnlyRootFilesystem, true);
    assert.ok(container?.envFrom.every((source) => source.secretRef === undefined));
    assert.equal((pod.metadata.annotations as Json)["linkerd.io/inject"], "disabled");
    assert.equal(find(list, "ServiceAccount", "python-sandbox").automountServiceAccountToken, false);
    const config = find(list, "ConfigMap", "python-sandbox-config").data as Json;
    assert.equal(config.SANDBOX_NETWORK_ISOLATION, "network-policy");
    assert.equal(config.SANDBOX_MEMORY_MB, "256");
  });

  it("tells the MCP server where the sandbox is and the limits it holds per user", () => {
    const data = find(objects({ sandboxMaxPerUser: 3, sandboxStrict: true }), "ConfigMap", "mcp-server-config")
      .data as Json;
    assert.equal(data.SANDBOX_URL, "http://python-sandbox.mcp-bastion.svc.cluster.local:8090");
    assert.equal(data.SANDBOX_MAX_PER_USER, "3");
    assert.equal(data.SANDBOX_STRICT, "true");
  });

  it("has its own policies: in only from the MCP server, and no egress rule selects it", () => {
    const list = objects();
    const ingress = find(list, "NetworkPolicy", "sandbox-from-mcp-server").spec as Json;
    assert.deepEqual(ingress.ingress, [
      {
        from: [
          {
            podSelector: {
              matchLabels: { "app.kubernetes.io/name": "mcp-server", "app.kubernetes.io/part-of": "mcp-bastion" },
            },
          },
        ],
        ports: [{ port: 8090, protocol: "TCP" }],
      },
    ]);
    const dns = find(list, "NetworkPolicy", "allow-dns").spec as { podSelector: Json };
    assert.deepEqual(dns.podSelector, {
      matchExpressions: [{ key: "app.kubernetes.io/name", operator: "NotIn", values: ["sandbox"] }],
    });
  });

  it("disappears whole when off: no objects, no policies, no SANDBOX_URL", () => {
    const list = objects({ sandboxEnabled: false });
    assert.ok(
      !list.some((object) => object.metadata.name.includes("sandbox")),
      list
        .filter((object) => object.metadata.name.includes("sandbox"))
        .map((object) => object.metadata.name)
        .join(", "),
    );
    assert.equal((find(list, "ConfigMap", "mcp-server-config").data as Json).SANDBOX_URL, undefined);
  });

  it("refuses a memory limit that cannot hold the pool's peak", () => {
    assert.throws(
      () => parseSettings({ ...MINIMAL_LOCAL_SETTINGS, sandboxMemoryLimit: "1Gi" }),
      /sandboxMemoryLimit: must hold the pool's peak of 1552Mi/,
    );
    assert.throws(
      () => parseSettings({ ...MINIMAL_LOCAL_SETTINGS, sandboxMemoryRequest: "4Gi" }),
      /sandboxMemoryRequest: must not exceed sandboxMemoryLimit/,
    );
  });
});
