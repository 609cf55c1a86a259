// Deny everything in the kit's namespace, then allow exactly the flows the kit needs. Every
// allowed flow is one named policy, so a review reads them as a list.
import { Chart } from "cdk8s";
import type { Construct } from "constructs";
import {
  IntOrString,
  KubeNetworkPolicy,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
} from "cdk8s-plus-28/lib/imports/k8s.js";
import type { Settings } from "../config.js";
import { urlPort } from "../settings-server.js";
import { PORTS, objectLabels, podLabels, type Component } from "./common.js";

const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** Private, link-local and shared ranges: never reachable through the public-HTTPS egress rule. */
export const NON_PUBLIC_IPV4 = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "100.64.0.0/10",
  "169.254.0.0/16",
  "127.0.0.0/8",
];

const tcp = (...ports: number[]): NetworkPolicyPort[] =>
  ports.map((port) => ({ protocol: "TCP", port: IntOrString.fromNumber(port) }));
const pods = (component: Component): NetworkPolicyPeer => ({ podSelector: { matchLabels: podLabels(component) } });
const namespace = (name: string): NetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: name } },
});

interface Flow {
  name: string;
  /** The pods the policy selects; undefined: every pod in the namespace (but those in `except`). */
  selects?: Component;
  /** With `selects` undefined: the components left out (the sandbox gets no DNS, no mesh). */
  except?: Component[];
  ingress?: { from: NetworkPolicyPeer[]; ports: NetworkPolicyPort[] }[];
  egress?: { to: NetworkPolicyPeer[]; ports: NetworkPolicyPort[] }[];
}

/**
 * An identity provider inside the cluster or on private addresses: the public-HTTPS rule never
 * reaches it, so its JWKS gets a rule of its own, to exactly the namespace or ranges configured.
 */
function identityProviderFlows(settings: Settings): Flow[] {
  const to: NetworkPolicyPeer[] = [
    ...settings.authEgressCidrs.map((cidr) => ({ ipBlock: { cidr } })),
    ...(settings.authEgressNamespace ? [namespace(settings.authEgressNamespace)] : []),
  ];
  return to.length === 0
    ? []
    : [
        {
          name: "mcp-server-to-identity-provider",
          selects: "mcp-server",
          egress: [{ to, ports: tcp(settings.authEgressPort) }],
        },
      ];
}

/**
 * The telemetry collector and an external rate-limit store: each reached on exactly the
 * namespace or ranges and the port its stack settings name, nothing wider.
 */
function settingFlows(settings: Settings): Flow[] {
  const flows: Flow[] = [];
  if (settings.otelEndpoint) {
    const to = [
      ...settings.otelEgressCidrs.map((cidr) => ({ ipBlock: { cidr } })),
      ...(settings.otelEgressNamespace ? [namespace(settings.otelEgressNamespace)] : []),
    ];
    const port = tcp(urlPort(settings.otelEndpoint));
    flows.push(
      { name: "mcp-server-to-otel-collector", selects: "mcp-server", egress: [{ to, ports: port }] },
      // The backup job traces its S3 transfers to the same collector.
      { name: "backup-to-otel-collector", selects: "backup", egress: [{ to, ports: port }] },
    );
  }
  if (settings.rateLimitStore === "valkey") {
    flows.push(
      {
        name: "mcp-server-to-rate-limit-store",
        selects: "mcp-server",
        egress: [{ to: [pods("rate-limit-store")], ports: tcp(PORTS.valkey) }],
      },
      {
        name: "rate-limit-store-from-mcp-server",
        selects: "rate-limit-store",
        ingress: [{ from: [pods("mcp-server")], ports: tcp(PORTS.valkey) }],
      },
    );
  }
  if (settings.rateLimitStore === "external" && settings.rateLimitStoreUrl) {
    flows.push({
      name: "mcp-server-to-rate-limit-store",
      selects: "mcp-server",
      egress: [
        {
          to: settings.rateLimitStoreEgressCidrs.map((cidr) => ({ ipBlock: { cidr } })),
          ports: tcp(urlPort(settings.rateLimitStoreUrl, PORTS.valkey)),
        },
      ],
    });
  }
  return flows;
}

/** The allowed flows, as data the chart renders into one NetworkPolicy each. */
export function allowedFlows(settings: Settings): Flow[] {
  const flows: Flow[] = [
    {
      name: "allow-dns",
      except: ["sandbox"],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: "kube-system" } },
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
          ],
          ports: [
            { protocol: "UDP", port: IntOrString.fromNumber(PORTS.dns) },
            { protocol: "TCP", port: IntOrString.fromNumber(PORTS.dns) },
          ],
        },
      ],
    },
    {
      name: "mcp-server-from-ingress",
      selects: "mcp-server",
      ingress: [{ from: [namespace(settings.ingressNamespace)], ports: tcp(PORTS.mcp) }],
    },
    {
      // The JWKS and fetch_url targets are public HTTPS; the cluster, the VPC and the cloud
      // metadata endpoint are not reachable this way (the app's SSRF guard checks again).
      name: "mcp-server-to-public-https",
      selects: "mcp-server",
      egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: NON_PUBLIC_IPV4 } }], ports: tcp(PORTS.https) }],
    },
    ...identityProviderFlows(settings),
    ...settingFlows(settings),
    { name: "mcp-server-to-neo4j", selects: "mcp-server", egress: [{ to: [pods("neo4j")], ports: tcp(PORTS.bolt) }] },
    { name: "backup-to-neo4j", selects: "backup", egress: [{ to: [pods("neo4j")], ports: tcp(PORTS.bolt) }] },
    {
      name: "neo4j-from-clients",
      selects: "neo4j",
      ingress: [{ from: [pods("mcp-server"), pods("backup")], ports: tcp(PORTS.bolt) }],
    },
    ...(settings.sandboxEnabled
      ? ([
          // run_python's programs: the server calls the sandbox; the sandbox itself reaches nothing.
          {
            name: "mcp-server-to-sandbox",
            selects: "mcp-server",
            egress: [{ to: [pods("sandbox")], ports: tcp(PORTS.sandbox) }],
          },
          {
            name: "sandbox-from-mcp-server",
            selects: "sandbox",
            ingress: [{ from: [pods("mcp-server")], ports: tcp(PORTS.sandbox) }],
          },
        ] satisfies Flow[])
      : []),
    {
      name: "mcp-server-metrics-from-prometheus",
      selects: "mcp-server",
      ingress: [{ from: [namespace(settings.prometheusNamespace)], ports: tcp(PORTS.metrics) }],
    },
  ];
  if (settings.platform === "local") {
    flows.push(
      {
        name: "backup-to-object-store",
        selects: "backup",
        egress: [{ to: [pods("object-store")], ports: tcp(PORTS.objectStore) }],
      },
      {
        name: "object-store-from-backup",
        selects: "object-store",
        ingress: [{ from: [pods("backup")], ports: tcp(PORTS.objectStore) }],
      },
    );
  } else {
    flows.push({
      name: "backup-to-s3",
      selects: "backup",
      egress: [{ to: settings.backupS3EgressCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: tcp(PORTS.https) }],
    });
  }
  if (settings.meshEnabled) {
    const inNamespace: NetworkPolicyPeer = { podSelector: {} };
    flows.push(
      {
        // Meshed peers talk proxy to proxy; the control plane and Prometheus read the proxy's admin port.
        name: "linkerd-proxy-inbound",
        except: ["sandbox"],
        ingress: [
          { from: [inNamespace], ports: tcp(PORTS.linkerdProxyInbound) },
          {
            from: [namespace(settings.linkerdNamespace), namespace(settings.prometheusNamespace)],
            ports: tcp(PORTS.linkerdProxyAdmin),
          },
        ],
      },
      {
        name: "linkerd-control-plane",
        except: ["sandbox"],
        egress: [
          { to: [namespace(settings.linkerdNamespace)], ports: tcp(...PORTS.linkerdControlPlane) },
          { to: [inNamespace], ports: tcp(PORTS.linkerdProxyInbound) },
        ],
      },
    );
  }
  return flows;
}

function allBut(components: Component[]): {
  matchExpressions?: Array<{ key: string; operator: string; values: string[] }>;
} {
  if (components.length === 0) return {};
  return { matchExpressions: [{ key: "app.kubernetes.io/name", operator: "NotIn", values: components }] };
}

export class NetworkPolicyChart extends Chart {
  constructor(scope: Construct, id: string, settings: Settings) {
    super(scope, id, { namespace: settings.namespace, labels: objectLabels("platform") });
    new KubeNetworkPolicy(this, "default-deny", {
      metadata: { name: "default-deny-all" },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    });
    for (const flow of allowedFlows(settings)) {
      const policyTypes = [...(flow.ingress ? ["Ingress"] : []), ...(flow.egress ? ["Egress"] : [])];
      new KubeNetworkPolicy(this, flow.name, {
        metadata: { name: flow.name },
        spec: {
          podSelector: flow.selects ? { matchLabels: podLabels(flow.selects) } : allBut(flow.except ?? []),
          policyTypes,
          ...(flow.ingress ? { ingress: flow.ingress } : {}),
          ...(flow.egress ? { egress: flow.egress } : {}),
        },
      });
    }
  }
}
