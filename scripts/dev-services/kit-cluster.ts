// The cluster the kit deploys to without a cluster of one's own: the control plane of
// kube-cluster.ts, a real cert-manager controller, and what a platform team would have
// installed before the kit (the CRDs of cert-manager, trust-manager, the Prometheus operator
// and Linkerd, and the namespaces of cert-manager and Linkerd). `npm run cluster` and the tests
// that apply the kit with the real engine both start it here.
import path from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { settingDefault } from "../../infra/config.js";
import { loadKubeConfig } from "../lib/kube-config.js";
import { mkdir } from "node:fs/promises";
import { installCertManagerController, installTrustManager } from "./kube-builds.js";
import { issueServerCertificate } from "./dev-pki.js";
import { startKubeCluster, type KubeCluster } from "./kube-cluster.js";
import { crdFiles } from "./kube-crds.js";
import { installCrds } from "./kube-objects.js";
import { installKubeNode, startKubeNode, type KubeNode } from "./kube-node.js";
import { NODE_NETWORK } from "./kube-node-host.js";
import { freePort, startServiceProcess, type ServiceProcess } from "./service-process.js";
import { cleanUpAndRethrow } from "./toolchain.js";

export const CERT_MANAGER_NAMESPACE = String(settingDefault("certManagerNamespace"));
/** The kubernetes Service's address in the control plane's service range (10.96.0.0/16). */
const KUBERNETES_SERVICE_IP = "10.96.0.1";
export const LINKERD_NAMESPACE = String(settingDefault("linkerdNamespace"));

export interface KitCluster extends KubeCluster {
  readonly config: KubeConfig;
  /** With `node: true`: the node that runs the pods. */
  readonly node?: KubeNode;
}

/** A cert-manager controller for the cluster, as its Helm chart runs it (certificate owner references on). */
export async function startCertManager(kubeconfig: string, workDir: string): Promise<ServiceProcess> {
  const metricsPort = await freePort();
  const { process: controller } = await startServiceProcess({
    name: "cert-manager-controller",
    command: await installCertManagerController(),
    args: [
      `--kubeconfig=${kubeconfig}`,
      "--leader-elect=false",
      `--cluster-resource-namespace=${CERT_MANAGER_NAMESPACE}`,
      `--metrics-listen-address=127.0.0.1:${metricsPort}`,
      "--enable-certificate-owner-ref",
    ],
    logFile: path.join(workDir, "cert-manager.log"),
    ready: {
      probe: async () => {
        const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).catch(() => undefined);
        return response?.ok ? "ok" : undefined;
      },
    },
    timeoutMs: 60_000,
  });
  return controller;
}

/**
 * trust-manager, for a cluster whose pods run: it writes the CA bundle ConfigMaps they mount.
 * Its webhook (which only validates Bundles) listens on loopback; its metrics listener takes
 * no address, so it opens on a free port.
 */
export async function startTrustManager(cluster: KubeCluster, workDir: string): Promise<ServiceProcess> {
  const certs = path.join(workDir, "trust-manager-webhook");
  await mkdir(certs, { recursive: true, mode: 0o700 });
  await issueServerCertificate({ ...cluster.ca, dir: certs }, "tls");
  const readinessPort = await freePort();
  const { process: controller } = await startServiceProcess({
    name: "trust-manager",
    command: await installTrustManager(),
    args: [
      `--kubeconfig=${cluster.kubeconfig}`,
      "--leader-elect=false",
      `--trust-namespace=${CERT_MANAGER_NAMESPACE}`,
      "--webhook-host=127.0.0.1",
      `--webhook-port=${await freePort()}`,
      `--webhook-certificate-dir=${certs}`,
      `--metrics-port=${await freePort()}`,
      `--readiness-probe-port=${readinessPort}`,
    ],
    logFile: path.join(workDir, "trust-manager.log"),
    ready: {
      probe: async () => {
        const response = await fetch(`http://127.0.0.1:${readinessPort}/readyz`).catch(() => undefined);
        return response?.ok ? "ok" : undefined;
      },
    },
    timeoutMs: 60_000,
  });
  return controller;
}

/** Builds everything a cluster with a node needs (first run only): the node, trust-manager, the kit's images. */
export async function installNodeCluster(): Promise<void> {
  await installKubeNode();
  await installTrustManager();
  const { buildMinioImage, buildServerImage } = await import("./kube-app-images.js");
  const { buildNeo4jImage } = await import("./kube-neo4j-image.js");
  await buildServerImage();
  await buildNeo4jImage();
  await buildMinioImage();
}

export async function startKitCluster(workDir: string, options: { node?: boolean } = {}): Promise<KitCluster> {
  const podFacingAddress = options.node
    ? { address: NODE_NETWORK.gateway, serviceIp: KUBERNETES_SERVICE_IP }
    : undefined;
  if (options.node) {
    await installKubeNode();
    await installTrustManager();
  }
  const cluster = await startKubeCluster(path.join(workDir, "control-plane"), { podFacingAddress });
  const stops: Array<() => Promise<void>> = [() => cluster.stop()];
  const stop = async () => {
    for (const next of [...stops].reverse()) await next();
  };
  try {
    const config = await loadKubeConfig({ kubeconfig: cluster.kubeconfig });
    await installCrds(config, await crdFiles());
    const { CoreV1Api } = await import("@kubernetes/client-node");
    const core = config.makeApiClient(CoreV1Api);
    for (const name of [CERT_MANAGER_NAMESPACE, LINKERD_NAMESPACE])
      await core.createNamespace({ body: { metadata: { name } } });
    const certManager = await startCertManager(cluster.kubeconfig, workDir);
    stops.push(() => certManager.stop());
    if (!options.node) return { ...cluster, config, stop };
    const trustManager = await startTrustManager(cluster, workDir);
    stops.push(() => trustManager.stop());
    const node = await startKubeNode({ ...cluster, config }, path.join(workDir, "node"));
    stops.push(() => node.stop());
    return { ...cluster, config, node, stop };
  } catch (error) {
    return await cleanUpAndRethrow(error, stop);
  }
}
