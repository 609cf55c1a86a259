// Reading manifests and installing CRDs on the test API server.
import { readdir, readFile } from "node:fs/promises";
import https from "node:https";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import type { KubeConfig, KubernetesObject, KubernetesObjectApi } from "@kubernetes/client-node";

/** Every document of every .yaml file in `directory`, in file-name order. */
export async function readObjects(directory: string): Promise<KubernetesObject[]> {
  const list: KubernetesObject[] = [];
  for (const file of (await readdir(directory)).filter((name) => name.endsWith(".yaml")).sort())
    list.push(...(await readObjectsOf(path.join(directory, file))));
  return list;
}

export async function readObjectsOf(file: string): Promise<KubernetesObject[]> {
  return parseAllDocuments(await readFile(file, "utf8"))
    .map((document) => document.toJS() as KubernetesObject | null)
    .filter((object): object is KubernetesObject => object !== null);
}

/** The API server's message in a client error, else the error's own. */
export function apiMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  const text = typeof body === "string" ? body : JSON.stringify(body ?? (error as Error).message);
  try {
    return (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    return text;
  }
}

/**
 * CRDs go to the API as the JSON they are: the client's typed serializer would drop the
 * `x-kubernetes-*` schema keys it does not map, and the API server then refuses the schema.
 */
async function createRaw(config: KubeConfig, object: KubernetesObject, collectionPath: string): Promise<void> {
  const options: https.RequestOptions = { method: "POST", headers: { "content-type": "application/json" } };
  await config.applyToHTTPSOptions(options);
  const url = new URL(collectionPath, config.getCurrentCluster()?.server);
  await new Promise<void>((resolve, reject) => {
    const req = https.request(url, options, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () =>
        (res.statusCode ?? 500) < 300
          ? resolve()
          : reject(
              new Error(`POST ${collectionPath} ${object.metadata?.name}: ${res.statusCode} ${body.slice(0, 500)}`),
            ),
      );
    });
    req.on("error", reject);
    req.end(JSON.stringify(object));
  });
}

/** Creates the CRDs of `files` and waits until the API server serves them. */
export async function installCrds(config: KubeConfig, files: readonly string[]): Promise<string[]> {
  const names: string[] = [];
  for (const file of files) {
    for (const crd of (await readObjectsOf(file)).filter((object) => object.kind === "CustomResourceDefinition")) {
      await createRaw(config, crd, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions");
      names.push(crd.metadata?.name ?? "");
    }
  }
  const { ApiextensionsV1Api } = await import("@kubernetes/client-node");
  const api = config.makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + 60_000;
  for (const name of names) {
    for (;;) {
      const crd = await api.readCustomResourceDefinition({ name });
      if (crd.status?.conditions?.some((condition) => condition.type === "Established" && condition.status === "True"))
        break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} was not established within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return names;
}

/**
 * An object as the API server stores it, in its own JSON: the client's typed models rename
 * fields (a NetworkPolicy rule's `from` becomes `_from`) and drop those they do not map.
 * undefined when there is no such object.
 */
export async function readRawObject(
  config: KubeConfig,
  api: KubernetesObjectApi,
  object: KubernetesObject,
): Promise<Record<string, unknown> | undefined> {
  // The client knows each kind's path (discovery included) but keeps that method to itself.
  const uriPath = await (
    api as unknown as { specUriPath(spec: KubernetesObject, action: string): Promise<string> }
  ).specUriPath(object, "read");
  const options: https.RequestOptions = { method: "GET", headers: { accept: "application/json" } };
  await config.applyToHTTPSOptions(options);
  const url = new URL(uriPath, config.getCurrentCluster()?.server);
  return new Promise((resolve, reject) => {
    const req = https.request(url, options, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => {
        if (res.statusCode === 404) resolve(undefined);
        else if (res.statusCode === 200) resolve(JSON.parse(body) as Record<string, unknown>);
        else reject(new Error(`GET ${uriPath}: ${res.statusCode} ${body.slice(0, 500)}`));
      });
    });
    req.on("error", reject);
    req.end();
  });
}
