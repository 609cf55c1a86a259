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

/** A destination outside the kit's namespace: address ranges, a namespace of the cluster, or both, on one port. */
export interface EgressTarget {
  /**
   * Address ranges (CIDR) it is on.
   * @default []
   */
  readonly cidrs?: readonly string[];
  /**
   * The cluster namespace it runs in.
   * @default undefined
   */
  readonly namespace?: string;
  /** The TCP port it listens on. */
  readonly port: number;
}

export interface NetworkPolicyProps {
  /** The kit's namespace: every pod in it is denied all but the flows below. */
  readonly namespace: string;
  /**
   * The ingress controller's namespace: the one way into the MCP server.
   * @default "ingress-nginx"
   */
  readonly ingressNamespace?: string;
  /**
   * Prometheus's namespace: it may scrape the server's metrics (and the proxies' admin port).
   * @default "monitoring"
   */
  readonly prometheusNamespace?: string;
  /**
   * Linkerd's namespace: the proxies reach its control plane.
   * @default "linkerd"
   */
  readonly linkerdNamespace?: string;
  /**
   * The pods are meshed: the proxies' ports are open, between meshed pods and to the control plane.
   * @default true
   */
  readonly mesh?: boolean;
  /**
   * The sandbox runs: the server may reach it, and it reaches nothing.
   * @default true
   */
  readonly sandbox?: boolean;
  /**
   * The identity provider, when its JWKS is inside the cluster or on private addresses (the
   * public-HTTPS rule never reaches those).
   * @default undefined: only public HTTPS
   */
  readonly identityProvider?: EgressTarget;
  /**
   * The OpenTelemetry collector the server and the backup send traces to.
   * @default undefined: no traces
   */
  readonly telemetryCollector?: EgressTarget;
  /**
   * The shared rate-limit store: "in-cluster" (the kit's Valkey, reached only by the server) or
   * an external one's address ranges and port.
   * @default undefined: each pod keeps its own limits in memory
   */
  readonly rateLimitStore?: "in-cluster" | { readonly cidrs: readonly string[]; readonly port: number };
  /** Where the backup writes: the in-cluster object store (local platform), or S3's address ranges (aws). */
  readonly backupTarget: "object-store" | { readonly s3Cidrs: readonly string[] };
}

const ipBlocks = (cidrs: readonly string[] = []): NetworkPolicyPeer[] => cidrs.map((cidr) => ({ ipBlock: { cidr } }));
const egressPeers = (target: EgressTarget): NetworkPolicyPeer[] => [
  ...ipBlocks(target.cidrs),
  ...(target.namespace ? [namespace(target.namespace)] : []),
];

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
function identityProviderFlows(identityProvider: EgressTarget | undefined): Flow[] {
  const to = identityProvider ? egressPeers(identityProvider) : [];
  return !identityProvider || to.length === 0
    ? []
    : [
        {
          name: "mcp-server-to-identity-provider",
          selects: "mcp-server",
          egress: [{ to, ports: tcp(identityProvider.port) }],
        },
      ];
}

/**
 * The telemetry collector and the rate-limit store: each reached on exactly the namespace or
 * ranges and the port given, nothing wider.
 */
function settingFlows(props: NetworkPolicyProps): Flow[] {
  const flows: Flow[] = [];
  const { telemetryCollector, rateLimitStore } = props;
  if (telemetryCollector) {
    const to = egressPeers(telemetryCollector);
    const port = tcp(telemetryCollector.port);
    flows.push(
      { name: "mcp-server-to-otel-collector", selects: "mcp-server", egress: [{ to, ports: port }] },
      // The backup job traces its S3 transfers to the same collector.
      { name: "backup-to-otel-collector", selects: "backup", egress: [{ to, ports: port }] },
    );
  }
  if (rateLimitStore === "in-cluster") {
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
  if (rateLimitStore && rateLimitStore !== "in-cluster") {
    flows.push({
      name: "mcp-server-to-rate-limit-store",
      selects: "mcp-server",
      egress: [{ to: ipBlocks(rateLimitStore.cidrs), ports: tcp(rateLimitStore.port) }],
    });
  }
  return flows;
}

/** The allowed flows, as data the chart renders into one NetworkPolicy each. */
export function allowedFlows(props: NetworkPolicyProps): Flow[] {
  const ingressNamespace = props.ingressNamespace ?? "ingress-nginx";
  const prometheusNamespace = props.prometheusNamespace ?? "monitoring";
  const linkerdNamespace = props.linkerdNamespace ?? "linkerd";
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
      ingress: [{ from: [namespace(ingressNamespace)], ports: tcp(PORTS.mcp) }],
    },
    {
      // The JWKS and fetch_url targets are public HTTPS; the cluster, the VPC and the cloud
      // metadata endpoint are not reachable this way (the app's SSRF guard checks again).
      name: "mcp-server-to-public-https",
      selects: "mcp-server",
      egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: NON_PUBLIC_IPV4 } }], ports: tcp(PORTS.https) }],
    },
    ...identityProviderFlows(props.identityProvider),
    ...settingFlows(props),
    { name: "mcp-server-to-neo4j", selects: "mcp-server", egress: [{ to: [pods("neo4j")], ports: tcp(PORTS.bolt) }] },
    { name: "backup-to-neo4j", selects: "backup", egress: [{ to: [pods("neo4j")], ports: tcp(PORTS.bolt) }] },
    {
      name: "neo4j-from-clients",
      selects: "neo4j",
      ingress: [{ from: [pods("mcp-server"), pods("backup")], ports: tcp(PORTS.bolt) }],
    },
    ...((props.sandbox ?? true)
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
      ingress: [{ from: [namespace(prometheusNamespace)], ports: tcp(PORTS.metrics) }],
    },
  ];
  const { backupTarget } = props;
  if (backupTarget === "object-store") {
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
      egress: [{ to: ipBlocks(backupTarget.s3Cidrs), ports: tcp(PORTS.https) }],
    });
  }
  if (props.mesh ?? true) {
    const inNamespace: NetworkPolicyPeer = { podSelector: {} };
    flows.push(
      {
        // Meshed peers talk proxy to proxy; the control plane and Prometheus read the proxy's admin port.
        name: "linkerd-proxy-inbound",
        except: ["sandbox"],
        ingress: [
          { from: [inNamespace], ports: tcp(PORTS.linkerdProxyInbound) },
          {
            from: [namespace(linkerdNamespace), namespace(prometheusNamespace)],
            ports: tcp(PORTS.linkerdProxyAdmin),
          },
        ],
      },
      {
        name: "linkerd-control-plane",
        except: ["sandbox"],
        egress: [
          { to: [namespace(linkerdNamespace)], ports: tcp(...PORTS.linkerdControlPlane) },
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
  constructor(scope: Construct, id: string, props: NetworkPolicyProps) {
    super(scope, id, { namespace: props.namespace, labels: objectLabels("platform") });
    new KubeNetworkPolicy(this, "default-deny", {
      metadata: { name: "default-deny-all" },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    });
    for (const flow of allowedFlows(props)) {
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
