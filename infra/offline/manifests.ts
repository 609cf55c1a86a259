// The Kubernetes objects of a mocked run, as the API server would receive them (secret values
// redacted), and writing them one file per object.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { KubeObject } from "../charts/index.js";
import { revealOrRedact, type MockRun } from "./mock-run.js";

export const REDACTED = "redacted-pulumi-secret";

/** Resources of the Kubernetes provider that are not objects of their own. */
const NOT_OBJECTS = new Set(["kubernetes:helm.sh/v3:Release", "pulumi:providers:kubernetes"]);

/** A secret map keeps its keys (they say what the Secret holds), never its values. */
function redact(secret: unknown): unknown {
  if (typeof secret === "object" && secret !== null && !Array.isArray(secret)) {
    return Object.fromEntries(Object.keys(secret).map((key) => [key, REDACTED]));
  }
  return REDACTED;
}

export function manifestsOf(run: MockRun): KubeObject[] {
  return run.resources
    .filter((resource) => resource.type.startsWith("kubernetes:") && !NOT_OBJECTS.has(resource.type))
    .map((resource) => revealOrRedact(resource.inputs, redact) as KubeObject);
}

export function helmReleasesOf(run: MockRun): { name: string; chart: string; version: string }[] {
  return run.resources
    .filter((resource) => resource.type === "kubernetes:helm.sh/v3:Release")
    .map((resource) => ({
      name: resource.name,
      chart: String(resource.inputs.chart),
      version: String(resource.inputs.version),
    }));
}

export function manifestFileName(index: number, object: KubeObject): string {
  const parts = [
    String(index).padStart(3, "0"),
    object.kind,
    object.metadata.namespace ?? "cluster",
    object.metadata.name,
  ];
  return `${parts
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, "-")}.yaml`;
}

/** Replaces the directory's contents with one YAML file per object; returns the file names. */
export function writeManifests(directory: string, objects: KubeObject[]): string[] {
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  return objects.map((object, index) => {
    const name = manifestFileName(index, object);
    writeFileSync(join(directory, name), stringify(object, { lineWidth: 0 }));
    return name;
  });
}
