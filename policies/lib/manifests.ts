// Kubernetes manifests from files (YAML or JSON, several documents, List kinds) as resources
// the rules can check. A file that cannot be read as objects is reported, never skipped.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { asArray, asObject, objectName, typeTokenOf } from "./kubernetes.js";
import type { CheckedResource } from "./types.js";

export interface ManifestProblem {
  file: string;
  message: string;
}

function objectsIn(value: unknown): Record<string, unknown>[] {
  const object = asObject(value);
  if (typeof object.kind === "string" && object.kind.endsWith("List") && Array.isArray(object.items))
    return asArray(object.items).flatMap(objectsIn);
  return Object.keys(object).length > 0 ? [object] : [];
}

export function readManifestFile(
  file: string,
  label: string = file,
): { resources: CheckedResource[]; problems: ManifestProblem[] } {
  const resources: CheckedResource[] = [];
  const problems: ManifestProblem[] = [];
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    return {
      resources,
      problems: [{ file: label, message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})` }],
    };
  }
  const documents = parseAllDocuments(text);
  for (const [index, document] of (Array.isArray(documents) ? documents : [documents]).entries()) {
    if (document.errors.length > 0) {
      problems.push({
        file: label,
        message: `document ${index + 1} is not valid YAML: ${document.errors[0]?.message.split("\n")[0] ?? "parse error"}`,
      });
      continue;
    }
    for (const object of objectsIn(document.toJS({ maxAliasCount: 100 }))) {
      if (typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
        problems.push({
          file: label,
          message: `document ${index + 1} is not a Kubernetes object (no apiVersion or kind)`,
        });
        continue;
      }
      resources.push({
        type: typeTokenOf(object),
        name: `${label} ${object.kind} ${objectName(object)}`,
        props: object,
      });
    }
  }
  return { resources, problems };
}

/** Every .yaml, .yml and .json file under a directory (or the one file given). */
export function readManifests(path: string): { resources: CheckedResource[]; problems: ManifestProblem[] } {
  const files: string[] = [];
  const visit = (entry: string) => {
    if (statSync(entry).isDirectory()) for (const child of readdirSync(entry).sort()) visit(join(entry, child));
    else if (/\.(ya?ml|json)$/i.test(entry)) files.push(entry);
  };
  visit(path);
  const resources: CheckedResource[] = [];
  const problems: ManifestProblem[] = [];
  for (const file of files) {
    const inside = relative(process.cwd(), file);
    const result = readManifestFile(file, inside && !inside.startsWith("..") ? inside : file);
    resources.push(...result.resources);
    problems.push(...result.problems);
  }
  return { resources, problems };
}
