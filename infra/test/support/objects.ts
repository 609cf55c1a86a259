// Reading a mocked run's Kubernetes objects: workloads and their pod specs, by kind and name.
import type { KubeObject } from "../../charts/index.js";

export type Json = Record<string, unknown>;

export const WORKLOAD_KINDS = new Set([
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "Job",
  "CronJob",
  "Pod",
  "ReplicaSet",
]);

export function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found)
    throw new Error(
      `no ${kind} ${name} among ${objects.map((object) => `${object.kind}/${object.metadata.name}`).join(", ")}`,
    );
  return found;
}

export function ofKind(objects: KubeObject[], kind: string): KubeObject[] {
  return objects.filter((object) => object.kind === kind);
}

/** The pod template of any workload kind (a Pod is its own template). */
export function podTemplate(workload: KubeObject): { metadata: Json; spec: Json } {
  const spec = workload.spec as Json;
  switch (workload.kind) {
    case "Pod":
      return { metadata: workload.metadata as unknown as Json, spec };
    case "CronJob": {
      const job = (spec.jobTemplate as Json).spec as Json;
      return job.template as { metadata: Json; spec: Json };
    }
    default:
      return spec.template as { metadata: Json; spec: Json };
  }
}

export function containersOf(podSpec: Json): Json[] {
  return [
    ...((podSpec.initContainers as Json[] | undefined) ?? []),
    ...((podSpec.containers as Json[] | undefined) ?? []),
  ];
}

export const workloadsOf = (objects: KubeObject[]): KubeObject[] =>
  objects.filter((object) => WORKLOAD_KINDS.has(object.kind));

/** Labels a workload's pods carry. */
export const podLabelsOf = (workload: KubeObject): Record<string, string> =>
  (podTemplate(workload).metadata.labels as Record<string, string> | undefined) ?? {};

export function matches(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);
}
