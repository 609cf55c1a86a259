// A small evaluator of Kubernetes NetworkPolicy semantics, so tests can ask "may A open port P
// on B?" of the policies a stack declares, and compare every answer with the intended flows.
import type { KubeObject } from "../../charts/index.js";
import { selectorMatches } from "../../../policies/lib/kubernetes.js";
import { type Json } from "./objects.js";

export interface Endpoint {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** Set for endpoints outside the cluster's pod network (the internet, S3). */
  ip?: string;
}

// Label selectors are judged by the policy pack's own matcher (matchLabels and matchExpressions).
interface Peer {
  podSelector?: Json;
  namespaceSelector?: Json;
  ipBlock?: { cidr: string; except?: string[] };
}
interface Rule {
  ports?: { protocol?: string; port?: number | string }[];
  from?: Peer[];
  to?: Peer[];
}

const namespaceLabels = (namespace: string) => ({ "kubernetes.io/metadata.name": namespace });

function ipv4ToNumber(ip: string): number {
  return ip.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  if (!base || bits === undefined || base.includes(":") || ip.includes(":")) return false;
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipv4ToNumber(base) / size) * size;
  const value = ipv4ToNumber(ip);
  return value >= start && value < start + size;
}

function peerMatches(peer: Peer, policyNamespace: string, endpoint: Endpoint): boolean {
  if (peer.ipBlock) {
    if (!endpoint.ip) return false;
    return (
      inCidr(endpoint.ip, peer.ipBlock.cidr) &&
      !(peer.ipBlock.except ?? []).some((cidr) => inCidr(endpoint.ip as string, cidr))
    );
  }
  if (endpoint.ip) return false;
  const namespaceOk = peer.namespaceSelector
    ? selectorMatches(peer.namespaceSelector, namespaceLabels(endpoint.namespace))
    : endpoint.namespace === policyNamespace;
  const podOk = peer.podSelector ? selectorMatches(peer.podSelector, endpoint.labels) : true;
  return namespaceOk && podOk;
}

function portMatches(rule: Rule, port: number, protocol: string): boolean {
  if (!rule.ports || rule.ports.length === 0) return true;
  return rule.ports.some(
    (entry) => (entry.protocol ?? "TCP") === protocol && (entry.port === undefined || Number(entry.port) === port),
  );
}

function selectedPolicies(
  policies: KubeObject[],
  endpoint: Endpoint,
  direction: "Ingress" | "Egress",
): { namespace: string; rules: Rule[] }[] {
  if (endpoint.ip) return [];
  return policies
    .filter((policy) => policy.metadata.namespace === endpoint.namespace)
    .map((policy) => policy.spec as Json)
    .filter((spec) => ((spec.policyTypes as string[] | undefined) ?? ["Ingress"]).includes(direction))
    .filter((spec) => selectorMatches(spec.podSelector, endpoint.labels))
    .map((spec) => ({
      namespace: endpoint.namespace,
      rules: ((direction === "Ingress" ? spec.ingress : spec.egress) as Rule[] | undefined) ?? [],
    }));
}

/** Whether the policies let `from` open `port` on `to` (both directions must allow it). */
export function allows(policies: KubeObject[], from: Endpoint, to: Endpoint, port: number, protocol = "TCP"): boolean {
  const egress = selectedPolicies(policies, from, "Egress");
  const egressOk =
    egress.length === 0 ||
    egress.some(({ namespace, rules }) =>
      rules.some(
        (rule) =>
          portMatches(rule, port, protocol) && (rule.to ?? [{}]).some((peer) => peerMatches(peer, namespace, to)),
      ),
    );
  const ingress = selectedPolicies(policies, to, "Ingress");
  const ingressOk =
    ingress.length === 0 ||
    ingress.some(({ namespace, rules }) =>
      rules.some(
        (rule) =>
          portMatches(rule, port, protocol) && (rule.from ?? [{}]).some((peer) => peerMatches(peer, namespace, from)),
      ),
    );
  return egressOk && ingressOk;
}

/** Every allowed (from, to, port) among the endpoints, as "from -> to:port/PROTO" lines. */
export function allowedFlowTable(
  policies: KubeObject[],
  endpoints: Endpoint[],
  ports: { port: number; protocol: string }[],
  kitNamespace: string,
): string[] {
  const lines: string[] = [];
  for (const from of endpoints) {
    for (const to of endpoints) {
      // Only flows that touch the kit's namespace are the kit's business.
      if (from.namespace !== kitNamespace && to.namespace !== kitNamespace) continue;
      for (const { port, protocol } of ports) {
        if (allows(policies, from, to, port, protocol)) lines.push(`${from.name} -> ${to.name}:${port}/${protocol}`);
      }
    }
  }
  return lines.sort();
}
