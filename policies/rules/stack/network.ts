// What one resource cannot tell: namespaces denied by default, every workload and Service wired
// to something real, and Neo4j unable to talk to the world.
import {
  asArray,
  asObject,
  isKind,
  isNeo4jPod,
  isWorkload,
  labelsOf,
  namespaceOf,
  objectName,
  podOf,
  selectorMatches,
  type Json,
} from "../../lib/kubernetes.js";
import type { CheckedResource, StackRule, StackViolation } from "../../lib/types.js";

const isNetworkPolicy = isKind("NetworkPolicy");
const policiesIn = (resources: CheckedResource[], namespace: string) =>
  resources
    .filter((resource) => isNetworkPolicy(resource.type) && namespaceOf(resource.props) === namespace)
    .map((resource) => ({ resource, spec: asObject(resource.props.spec) }));
const typesOf = (spec: Json): string[] =>
  Array.isArray(spec.policyTypes)
    ? spec.policyTypes.map(String)
    : spec.egress !== undefined
      ? ["Ingress", "Egress"]
      : ["Ingress"];
const selectsAll = (spec: Json): boolean => {
  const selector = asObject(spec.podSelector);
  return Object.keys(labelsOf(selector.matchLabels)).length === 0 && asArray(selector.matchExpressions).length === 0;
};

function workloads(resources: CheckedResource[]) {
  return resources.flatMap((resource) => {
    if (!isWorkload(resource.type)) return [];
    const pod = podOf(resource.props, resource.type);
    return pod
      ? [{ resource, pod, namespace: namespaceOf(resource.props), labels: labelsOf(pod.metadata.labels) }]
      : [];
  });
}

export const namespacesDenyByDefault: StackRule = {
  name: "namespace-default-deny",
  description: "Every namespace the stack creates has a NetworkPolicy denying all ingress and all egress by default.",
  check(resources) {
    const out: StackViolation[] = [];
    for (const namespace of resources.filter((resource) => isKind("Namespace")(resource.type))) {
      const name = String(asObject(namespace.props.metadata).name ?? "");
      const policies = policiesIn(resources, name).filter(({ spec }) => selectsAll(spec));
      for (const direction of ["Ingress", "Egress"] as const) {
        const field = direction === "Ingress" ? "ingress" : "egress";
        const denies = policies.some(
          ({ spec }) => typesOf(spec).includes(direction) && asArray(spec[field]).length === 0,
        );
        if (!denies) {
          out.push({
            resource: `Namespace ${name}`,
            message: `no NetworkPolicy denies all ${field} by default`,
            fix: `add a NetworkPolicy with podSelector: {} and policyTypes [${direction}] and no ${field} rules`,
          });
        }
      }
    }
    return out;
  },
};

export const workloadsSelectedByPolicy: StackRule = {
  name: "workload-network-policy",
  description: "Every workload's pods are selected by at least one NetworkPolicy in their namespace.",
  check(resources) {
    return workloads(resources)
      .filter(
        ({ namespace, labels }) =>
          !policiesIn(resources, namespace).some(({ spec }) => selectorMatches(spec.podSelector, labels)),
      )
      .map(({ resource }) => ({
        resource: resource.name,
        message: "no NetworkPolicy selects its pods",
        fix: "add a default-deny policy to the namespace and allow its flows explicitly",
      }));
  },
};

export const servicesSelectWorkloads: StackRule = {
  name: "service-selects-workload",
  description: "Every Service selects the pods of a workload of the stack in its namespace.",
  check(resources) {
    const pods = workloads(resources);
    const out: StackViolation[] = [];
    for (const service of resources.filter((resource) => isKind("Service")(resource.type))) {
      const spec = asObject(service.props.spec);
      const selector = labelsOf(spec.selector);
      if (Object.keys(selector).length === 0) {
        out.push({
          resource: service.name,
          message: "the Service has no selector",
          fix: "select the workload's pod labels",
        });
        continue;
      }
      const namespace = namespaceOf(service.props);
      if (
        !pods.some(
          (pod) =>
            pod.namespace === namespace && Object.entries(selector).every(([key, value]) => pod.labels[key] === value),
        )
      ) {
        out.push({
          resource: service.name,
          message: `the selector ${JSON.stringify(selector)} matches no workload in ${namespace}`,
          fix: "fix the selector to match the pod labels",
        });
      }
    }
    return out;
  },
};

function opensEverything(rule: Json): boolean {
  if (rule.to === undefined) return true;
  const peers = asArray(rule.to);
  if (peers.length === 0) return true;
  return peers.some((peer) => {
    if (Object.keys(peer).length === 0) return true;
    const cidr = asObject(peer.ipBlock).cidr;
    if (cidr === "0.0.0.0/0" || cidr === "::/0") return true;
    const namespaces = peer.namespaceSelector;
    return (
      namespaces !== undefined &&
      selectsAll({ podSelector: namespaces }) &&
      (peer.podSelector === undefined || selectsAll({ podSelector: peer.podSelector }))
    );
  });
}

export const neo4jEgressClosed: StackRule = {
  name: "neo4j-egress-closed",
  description: "No NetworkPolicy allows Neo4j pods all egress, and their egress is governed by a policy at all.",
  check(resources) {
    const out: StackViolation[] = [];
    for (const { resource, pod, namespace, labels } of workloads(resources)) {
      if (!isNeo4jPod(pod)) continue;
      const selecting = policiesIn(resources, namespace).filter(
        ({ spec }) => selectorMatches(spec.podSelector, labels) && typesOf(spec).includes("Egress"),
      );
      if (selecting.length === 0)
        out.push({
          resource: resource.name,
          message: "no NetworkPolicy restricts the Neo4j pods' egress",
          fix: "add a default-deny egress policy for the namespace",
        });
      for (const { resource: policy, spec } of selecting) {
        asArray(spec.egress).forEach((rule, index) => {
          if (opensEverything(rule)) {
            out.push({
              resource: policy.name,
              message: `egress[${index}] allows the Neo4j pods (${objectName(resource.props)}) to reach any destination`,
              fix: "allow only DNS and the peers Neo4j must reach",
            });
          }
        });
      }
    }
    return out;
  },
};
