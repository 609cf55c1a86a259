// npm run cluster [-- --stack NAME] [--node]
// A cluster to try the kit on, without one of one's own: etcd, kube-apiserver,
// kube-controller-manager and cert-manager on 127.0.0.1, with the CRDs and namespaces the kit
// expects from a platform team. It makes a stack for it from the air-gapped example
// (Pulumi.airgapped.yaml) with credentials of its own as Pulumi secrets, prints KUBECONFIG=
// and STACK= when ready, and stops everything on Ctrl-C / SIGTERM.
// Exit codes: 0 stopped by a signal, 1 the cluster failed to start, 2 usage.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { parse, stringify } from "yaml";
import { PROJECT_ROOT } from "../infra/program.js";
import { LOCAL_CLUSTER_ISSUER, ensureLocalClusterKeys } from "../app/src/auth/dev-keys.js";
import { buildMinioImage, buildServerImage } from "./dev-services/kube-app-images.js";
import { buildNeo4jImage } from "./dev-services/kube-neo4j-image.js";
import type { KubeNode } from "./dev-services/kube-node.js";
import { startKitCluster } from "./dev-services/kit-cluster.js";
import { cacheRoot, cleanUpAndRethrow } from "./dev-services/toolchain.js";
import { parseOptions, runMain, untilSignal, usageProblem } from "./lib/cli.js";
import { PROJECT_NAME, openEngine } from "./lib/engine.js";

const USAGE = `usage: npm run cluster [-- --stack NAME] [--node]
Starts a local control plane with cert-manager (no node: objects are admitted and stored, pods do
not run), makes the stack NAME (default: cluster) for it from Pulumi.airgapped.yaml, and prints
--node  adds a real node (root only; containerd + runc, kubelet, kube-scheduler, kube-proxy,
        kube-router for NetworkPolicies, CoreDNS), builds the kit's images with buildah and
        imports them (the stack takes them by digest), so the kit's pods run and deploy waits
        for them; first run about 15 minutes of builds, later about 1 minute to start.
KUBECONFIG=<file> and STACK=<name>. Then, in another shell:
  npm run deploy -- up --stack <name> --kubeconfig <file> --yes
Ctrl-C stops the cluster and removes the stack (its state and Pulumi.<name>.yaml).
Exit codes: 0 stopped by a signal, 1 the cluster failed to start, 2 usage.`;

const STACK_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * The example's settings; without a node the waiting is switched off (no pods run), with one
 * the images are the node's own, by digest, and tokens of the local-cluster issuer are trusted.
 */
async function writeStackFile(file: string, node: Record<string, unknown> | undefined): Promise<void> {
  const example = parse(await readFile(path.join(PROJECT_ROOT, "Pulumi.airgapped.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  // With a key set of its own the stack names no JWKS URL, and with its limits in memory no Valkey image.
  const notOnNode = new Set([`${PROJECT_NAME}:authJwksUrl`, `${PROJECT_NAME}:valkeyImage`]);
  const config: Record<string, unknown> = node
    ? {
        ...Object.fromEntries(Object.entries(example.config).filter(([key]) => !notOnNode.has(key))),
        ...Object.fromEntries(Object.entries(node).map(([key, value]) => [`${PROJECT_NAME}:${key}`, value])),
      }
    : { ...example.config, [`${PROJECT_NAME}:awaitReadiness`]: false };
  const header =
    "# Made by npm run cluster from Pulumi.airgapped.yaml, for the cluster it runs; removed when it stops.\n";
  await writeFile(file, header + stringify({ config }), { mode: 0o600 });
}

/** Credentials a vault would hold, as the stack's secrets. */
function generatedCredentials(withRateLimitStore: boolean): Record<string, { value: string; secret: true }> {
  const secret = (value: string) => ({ value, secret: true as const });
  return {
    [`${PROJECT_NAME}:neo4jPassword`]: secret(randomBytes(24).toString("base64url")),
    [`${PROJECT_NAME}:objectStoreAccessKeyId`]: secret(randomBytes(12).toString("hex")),
    [`${PROJECT_NAME}:objectStoreSecretAccessKey`]: secret(randomBytes(24).toString("base64url")),
    ...(withRateLimitStore
      ? { [`${PROJECT_NAME}:rateLimitStorePassword`]: secret(randomBytes(24).toString("base64url")) }
      : {}),
  };
}

/** The node's images (built on first use, imported by digest) and the local-cluster issuer. */
async function nodeSettings(node: KubeNode): Promise<Record<string, unknown>> {
  const started = Date.now();
  const [server, neo4j, minio] = [await buildServerImage(), await buildNeo4jImage(), await buildMinioImage()];
  const settings = {
    imageRef: await node.importImage(server),
    neo4jImage: await node.importImage(neo4j),
    minioImage: await node.importImage(minio),
    // The node has 2 CPUs: one sandbox replica keeps every pod's CPU request within them.
    sandboxReplicas: 1,
    // No Valkey image is built for the node: its rate limits stay in each replica's memory.
    rateLimitStore: "memory",
    authIssuer: LOCAL_CLUSTER_ISSUER,
    authJwks: JSON.stringify(JSON.parse(await readFile((await ensureLocalClusterKeys()).jwksFile, "utf8"))),
  };
  console.error(`images ready and imported in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return settings;
}

runMain(async () => {
  const parsed = parseOptions({ stack: { type: "string", short: "s" }, node: { type: "boolean" } }, USAGE);
  if ("exitCode" in parsed) return parsed.exitCode;
  const stackName = parsed.values.stack ?? "cluster";
  if (!STACK_NAME.test(stackName))
    return usageProblem(
      USAGE,
      `--stack ${JSON.stringify(stackName)} is not a stack name (lower-case letters, digits, '-')`,
    );
  const stackFile = path.join(PROJECT_ROOT, `Pulumi.${stackName}.yaml`);
  if (
    await readFile(stackFile).then(
      () => true,
      () => false,
    )
  ) {
    return usageProblem(
      USAGE,
      `Pulumi.${stackName}.yaml exists already; name another stack with --stack, or remove it if no cluster uses it`,
    );
  }

  const runs = path.join(cacheRoot(), "clusters");
  await mkdir(runs, { recursive: true, mode: 0o700 });
  const workDir = await mkdtemp(path.join(runs, `${stackName}-`));
  const stopped = untilSignal();
  let removeStack = async () => {};
  const withNode = parsed.values.node === true;
  const cluster = await startKitCluster(workDir, { node: withNode }).catch((error: unknown) =>
    cleanUpAndRethrow(error, () => rm(workDir, { recursive: true, force: true })),
  );
  try {
    await writeStackFile(stackFile, cluster.node ? await nodeSettings(cluster.node) : undefined);
    removeStack = async () => {
      await rm(stackFile, { force: true });
    };
    const { stack } = await openEngine(stackName, { kubeconfig: cluster.kubeconfig });
    // A stack of this name left by an earlier cluster describes objects that no longer exist.
    if ((await stack.history(1).catch(() => [])).length > 0) {
      await stack.workspace.removeStack(stackName, { force: true, preserveConfig: true });
      await stack.workspace.createStack(stackName);
    }
    await stack.setAllConfig(generatedCredentials(cluster.node === undefined));
    removeStack = async () => {
      await stack.workspace.removeStack(stackName, { force: true }).catch(() => undefined);
      await rm(stackFile, { force: true });
    };
    console.log(`KUBECONFIG=${cluster.kubeconfig}`);
    console.log(`STACK=${stackName}`);
    console.error(
      `cluster ready; deploy the kit with:\n  npm run deploy -- up --stack ${stackName} --kubeconfig ${cluster.kubeconfig} --yes\nCtrl-C stops the cluster.`,
    );
    await stopped;
    return 0;
  } finally {
    await removeStack();
    await cluster.stop();
    await rm(workDir, { recursive: true, force: true });
  }
});
