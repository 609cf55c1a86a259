// Reading Kubernetes objects, whatever form they arrive in: pod specs of every workload kind,
// all their containers, their labels, and type tokens.
import type { CheckedResource, Props, Violation } from "./types.js";

export type Json = Record<string, unknown>;

/** kubernetes:apps/v1:Deployment -> { group: "apps", version: "v1", kind: "Deployment" } */
export function kubernetesType(type: string): { group: string; version: string; kind: string } | undefined {
  const match = /^kubernetes:([^:]+):([A-Za-z0-9]+)$/.exec(type);
  if (!match?.[1] || !match[2]) return undefined;
  const [group, version] = match[1].includes("/") ? (match[1].split("/") as [string, string]) : ["core", match[1]];
  return { group, version, kind: match[2] };
}

/** The Pulumi type token for an object read from a manifest. */
export function typeTokenOf(object: Json): string {
  const apiVersion = String(object.apiVersion ?? "");
  return `kubernetes:${apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`}:${String(object.kind ?? "")}`;
}

export const isKind =
  (...kinds: string[]) =>
  (type: string): boolean => {
    const parsed = kubernetesType(type);
    return parsed !== undefined && kinds.includes(parsed.kind);
  };

export const WORKLOAD_KINDS = [
  "Pod",
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "ReplicaSet",
  "ReplicationController",
  "Job",
  "CronJob",
];
export const LONG_RUNNING_KINDS = [
  "Pod",
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "ReplicaSet",
  "ReplicationController",
];
export const isWorkload = isKind(...WORKLOAD_KINDS);

export const asObject = (value: unknown): Json =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
export const asArray = (value: unknown): Json[] => (Array.isArray(value) ? value.map(asObject) : []);

/** The pod template (metadata and spec) of a workload of any kind. */
export function podOf(props: Props, type: string): { metadata: Json; spec: Json } | undefined {
  const kind = kubernetesType(type)?.kind;
  const spec = asObject(props.spec);
  switch (kind) {
    case "Pod":
      return { metadata: asObject(props.metadata), spec };
    case "CronJob": {
      const template = asObject(asObject(asObject(spec.jobTemplate).spec).template);
      return { metadata: asObject(template.metadata), spec: asObject(template.spec) };
    }
    case undefined:
      return undefined;
    default: {
      if (!WORKLOAD_KINDS.includes(kind)) return undefined;
      const template = asObject(spec.template);
      return { metadata: asObject(template.metadata), spec: asObject(template.spec) };
    }
  }
}

export interface NamedContainer {
  /** containers[0], initContainers[1], ephemeralContainers[0] */
  path: string;
  name: string;
  container: Json;
}

export function containersOf(podSpec: Json): NamedContainer[] {
  const result: NamedContainer[] = [];
  for (const field of ["initContainers", "containers", "ephemeralContainers"]) {
    asArray(podSpec[field]).forEach((container, index) =>
      result.push({ path: `${field}[${index}]`, name: String(container.name ?? `#${index}`), container }),
    );
  }
  return result;
}

export function labelsOf(value: unknown): Record<string, string> {
  const labels = asObject(value);
  return Object.fromEntries(Object.entries(labels).filter(([, label]) => typeof label === "string")) as Record<
    string,
    string
  >;
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Kubernetes label-selector semantics; an empty selector matches everything. */
export function selectorMatches(selectorValue: unknown, labels: Record<string, string>): boolean {
  const selector = asObject(selectorValue) as LabelSelector;
  for (const [key, value] of Object.entries(labelsOf(selector.matchLabels))) if (labels[key] !== value) return false;
  for (const expression of asArray(selector.matchExpressions) as unknown as LabelSelector["matchExpressions"] &
    object[]) {
    const values = Array.isArray(expression.values) ? expression.values.map(String) : [];
    const has = Object.hasOwn(labels, expression.key);
    const value = labels[expression.key];
    switch (expression.operator) {
      case "In":
        if (!has || !values.includes(String(value))) return false;
        break;
      case "NotIn":
        if (has && values.includes(String(value))) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

export function objectName(props: Props): string {
  const metadata = asObject(props.metadata);
  const namespace = typeof metadata.namespace === "string" ? `${metadata.namespace}/` : "";
  return `${namespace}${String(metadata.name ?? "(unnamed)")}`;
}

export const namespaceOf = (props: Props): string => {
  const namespace = asObject(props.metadata).namespace;
  return typeof namespace === "string" && namespace ? namespace : "default";
};

/** Neo4j pods: labelled as Neo4j, or running a Neo4j image. */
export function isNeo4jPod(pod: { metadata: Json; spec: Json }): boolean {
  const labels = labelsOf(pod.metadata.labels);
  if (labels["app.kubernetes.io/name"] === "neo4j" || labels.app === "neo4j") return true;
  return containersOf(pod.spec).some(({ container }) => /(^|\/)neo4j([:@]|$)/.test(String(container.image ?? "")));
}

/** A rule's check over a workload's pod template; objects without one pass. */
export function withPod(
  check: (pod: { metadata: Json; spec: Json }, resource: CheckedResource) => Violation[],
): (resource: CheckedResource) => Violation[] {
  return (resource) => {
    const pod = podOf(resource.props, resource.type);
    return pod ? check(pod, resource) : [];
  };
}
