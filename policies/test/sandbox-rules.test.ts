// The code sandbox's rules: its pods hold nothing, and its network is closed but for the MCP
// server's calls. Each case starts from a compliant sandbox and changes one thing.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sandboxHoldsNothing } from "../rules/kubernetes/sandbox-contained.js";
import { sandboxNetworkClosed } from "../rules/stack/sandbox-network.js";
import { accepts, container, deployment, kube, podSpec, rejects, stackMessages } from "./fixtures.js";
import type { CheckedResource, Props } from "../lib/types.js";

const SANDBOX = { "app.kubernetes.io/name": "sandbox", "app.kubernetes.io/part-of": "kit" };
const MCP = { "app.kubernetes.io/name": "mcp-server", "app.kubernetes.io/part-of": "kit" };

function sandbox(
  spec: Props = podSpec(),
  annotations: Record<string, string> = { "linkerd.io/inject": "disabled" },
): CheckedResource {
  const resource = deployment(spec, SANDBOX);
  const template = (resource.props.spec as { template: { metadata: Props } }).template;
  template.metadata.annotations = annotations;
  return resource;
}

describe("sandbox-holds-nothing", () => {
  it("accepts a sandbox with only emptyDir and ConfigMap volumes, no token, out of the mesh", () => {
    accepts(
      sandboxHoldsNothing,
      sandbox(
        podSpec({
          volumes: [
            { name: "tmp", emptyDir: {} },
            { name: "settings", configMap: { name: "c" } },
          ],
        }),
      ),
    );
  });
  it("leaves other workloads to the general rules", () =>
    accepts(sandboxHoldsNothing, deployment(podSpec({ volumes: [{ name: "s", secret: { secretName: "x" } }] }))));
  const cases: Array<[string, CheckedResource, RegExp]> = [
    [
      "a service account token",
      sandbox(podSpec({ automountServiceAccountToken: undefined })),
      /may mount a service account token/,
    ],
    [
      "a Secret volume",
      sandbox(podSpec({ volumes: [{ name: "creds", secret: { secretName: "neo4j" } }] })),
      /volume creds is of type secret/,
    ],
    [
      "a projected token volume",
      sandbox(
        podSpec({ volumes: [{ name: "token", projected: { sources: [{ serviceAccountToken: { path: "t" } }] } }] }),
      ),
      /volume token is of type projected/,
    ],
    [
      "a PVC",
      sandbox(podSpec({ volumes: [{ name: "data", persistentVolumeClaim: { claimName: "d" } }] })),
      /volume data is of type persistentVolumeClaim/,
    ],
    [
      "envFrom a Secret",
      sandbox(podSpec({ containers: [container({ envFrom: [{ secretRef: { name: "s" } }] })] })),
      /envFrom reads a Secret/,
    ],
    [
      "an env var from a Secret",
      sandbox(
        podSpec({
          containers: [container({ env: [{ name: "KEY", valueFrom: { secretKeyRef: { name: "s", key: "k" } } }] })],
        }),
      ),
      /env KEY reads a Secret/,
    ],
    ["mesh injection left to the namespace", sandbox(podSpec(), {}), /injected with a mesh proxy/],
  ];
  for (const [name, resource, message] of cases)
    it(`rejects ${name}`, () => rejects(sandboxHoldsNothing, resource, message));
});

describe("sandbox-network-closed", () => {
  const policy = (name: string, spec: Props) =>
    kube("networking.k8s.io/v1", "NetworkPolicy", { name, namespace: "kit" }, { spec });
  const denyAll = policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  const fromServer = policy("sandbox-from-mcp-server", {
    podSelector: { matchLabels: SANDBOX },
    policyTypes: ["Ingress"],
    ingress: [{ from: [{ podSelector: { matchLabels: MCP } }], ports: [{ port: 8090 }] }],
  });
  const dnsButSandbox = policy("allow-dns", {
    podSelector: { matchExpressions: [{ key: "app.kubernetes.io/name", operator: "NotIn", values: ["sandbox"] }] },
    policyTypes: ["Egress"],
    egress: [{ to: [{ namespaceSelector: {} }] }],
  });

  it("accepts the kit's shape: default deny, DNS for all but the sandbox, the server's calls in", () => {
    assert.deepEqual(stackMessages(sandboxNetworkClosed, [sandbox(), denyAll, dnsButSandbox, fromServer]), []);
  });
  it("rejects DNS (or any egress) that selects the sandbox too", () => {
    const dnsForAll = policy("allow-dns", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [{ to: [{ namespaceSelector: {} }] }],
    });
    assert.deepEqual(stackMessages(sandboxNetworkClosed, [sandbox(), denyAll, dnsForAll, fromServer]), [
      "NetworkPolicy kit/allow-dns: allows the sandbox pods egress",
    ]);
  });
  it("rejects ingress from another namespace, an IP range or any pod", () => {
    for (const from of [[{ namespaceSelector: {} }], [{ ipBlock: { cidr: "0.0.0.0/0" } }], [{ podSelector: {} }], []]) {
      const open = policy("sandbox-in", {
        podSelector: { matchLabels: SANDBOX },
        policyTypes: ["Ingress"],
        ingress: [{ from }],
      });
      assert.deepEqual(
        stackMessages(sandboxNetworkClosed, [sandbox(), denyAll, open]),
        ["NetworkPolicy kit/sandbox-in: ingress[0] admits more than the MCP server's pods to the sandbox"],
        JSON.stringify(from),
      );
    }
  });
  it("rejects a sandbox whose egress no policy governs", () => {
    assert.deepEqual(stackMessages(sandboxNetworkClosed, [sandbox(), fromServer]), [
      "deployment kit/app: no NetworkPolicy governs the sandbox pods' egress",
    ]);
  });
});
