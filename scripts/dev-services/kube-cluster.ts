// A Kubernetes control plane for tests, without containers: etcd, kube-apiserver and
// kube-controller-manager on 127.0.0.1 with a generated CA, serving certificate, admin client
// certificate and service-account key. The controllers finalize namespaces, collect garbage
// and create service accounts as on any cluster; there is no kubelet, so objects are stored and
// admitted (Pod Security included), never run.
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { Agent, request } from "node:https";
import path from "node:path";
import {
  installCertManagerController,
  installEtcd,
  installKubeApiserver,
  installKubeControllerManager,
} from "./kube-builds.js";
import { crdFiles } from "./kube-crds.js";
import { freePort, startServiceProcess, type ServiceProcess } from "./service-process.js";
import { cleanUpAndRethrow } from "./toolchain.js";
import {
  createSigningKeyPair,
  createTestCa,
  issueClientCertificate,
  issueServerCertificate,
  type TestCa,
} from "./dev-pki.js";

export interface KubeCluster {
  readonly server: string;
  /** The cluster's CA, which also signs the node's client certificates. */
  readonly ca: TestCa;
  /** A kubeconfig file with one context, "test", for a cluster-admin user. */
  readonly kubeconfig: string;
  stop(): Promise<void>;
}

async function apiReady(server: string, ca: Buffer, cert: Buffer, key: Buffer): Promise<string | undefined> {
  const agent = new Agent({ ca, cert, key });
  try {
    return await new Promise((resolve) => {
      const req = request(`${server}/readyz`, { agent, timeout: 2_000 }, (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve(res.statusCode === 200 && body.trim() === "ok" ? server : undefined));
      });
      req.on("error", () => resolve(undefined));
      req.on("timeout", () => req.destroy());
      req.end();
    });
  } finally {
    agent.destroy();
  }
}

/** Builds what the cluster needs (first run only); the test runner calls it before any test. */
export async function installKubeCluster(): Promise<{
  etcd: string;
  apiserver: string;
  controllerManager: string;
  certManager: string;
  crds: string[];
}> {
  return {
    etcd: await installEtcd(),
    apiserver: await installKubeApiserver(),
    controllerManager: await installKubeControllerManager(),
    certManager: await installCertManagerController(),
    crds: await crdFiles(),
  };
}

/** kube-controller-manager and kube-scheduler serve /healthz over TLS with a certificate of their own making. */
export async function healthzOk(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request(
      { host: "127.0.0.1", port, path: "/healthz", rejectUnauthorized: false, timeout: 2_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200 ? "ok" : undefined);
      },
    );
    req.on("error", () => resolve(undefined));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

export interface KubeClusterOptions {
  /**
   * For a cluster with a node: the address pods reach the API server at (the node's own
   * address, forwarded to the loopback listener), advertised as the kubernetes Service's
   * endpoint and named in the serving certificate with the Service's cluster IP.
   */
  podFacingAddress?: { address: string; serviceIp: string };
}

export async function startKubeCluster(workDir: string, options: KubeClusterOptions = {}): Promise<KubeCluster> {
  const {
    etcd: etcdBinary,
    apiserver: apiserverBinary,
    controllerManager: controllerManagerBinary,
  } = await installKubeCluster();
  const pki = path.join(workDir, "pki");
  await mkdir(pki, { recursive: true, mode: 0o700 });
  const ca = await createTestCa(pki, "test cluster CA");
  const podFacing = options.podFacingAddress;
  const serving = await issueServerCertificate(
    ca,
    "kube-apiserver",
    podFacing ? [podFacing.address, podFacing.serviceIp] : [],
  );
  const admin = await issueClientCertificate(ca, "admin", "system:masters");
  // The API server's identity towards kubelets, for logs, exec and port-forward.
  const kubeletClient = await issueClientCertificate(ca, "kube-apiserver-kubelet-client", "system:masters");
  const serviceAccount = await createSigningKeyPair(pki, "service-account");

  const [clientPort, peerPort, apiPort, controllerManagerPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const processes: ServiceProcess[] = [];
  const stop = async () => {
    for (const child of processes.reverse()) await child.stop();
  };
  try {
    const etcd = await startServiceProcess({
      name: "etcd",
      command: etcdBinary,
      args: [
        "--name",
        "test",
        "--data-dir",
        path.join(workDir, "etcd"),
        "--listen-client-urls",
        `http://127.0.0.1:${clientPort}`,
        "--advertise-client-urls",
        `http://127.0.0.1:${clientPort}`,
        "--listen-peer-urls",
        `http://127.0.0.1:${peerPort}`,
        "--initial-advertise-peer-urls",
        `http://127.0.0.1:${peerPort}`,
        "--initial-cluster",
        `test=http://127.0.0.1:${peerPort}`,
        // A throwaway store: durability buys nothing here, and fsync on a shared disk costs seconds.
        "--unsafe-no-fsync",
        "--log-level",
        "warn",
      ],
      logFile: path.join(workDir, "etcd.log"),
      ready: {
        probe: async () => {
          const response = await fetch(`http://127.0.0.1:${clientPort}/health`).catch(() => undefined);
          return response?.ok && ((await response.json()) as { health?: string }).health === "true" ? "ok" : undefined;
        },
      },
      timeoutMs: 60_000,
    });
    processes.push(etcd.process);

    const server = `https://127.0.0.1:${apiPort}`;
    const [caPem, adminCert, adminKey] = [
      await readFile(ca.certFile),
      await readFile(admin.certFile),
      await readFile(admin.keyFile),
    ];
    const apiserver = await startServiceProcess({
      name: "kube-apiserver",
      command: apiserverBinary,
      args: [
        `--etcd-servers=http://127.0.0.1:${clientPort}`,
        "--bind-address=127.0.0.1",
        `--advertise-address=${podFacing?.address ?? "127.0.0.1"}`,
        `--secure-port=${apiPort}`,
        `--tls-cert-file=${serving.certFile}`,
        `--tls-private-key-file=${serving.keyFile}`,
        `--client-ca-file=${ca.certFile}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${serviceAccount.publicKeyFile}`,
        `--service-account-signing-key-file=${serviceAccount.privateKeyFile}`,
        "--service-cluster-ip-range=10.96.0.0/16",
        // Node: a kubelet reads only what its own pods need, as on real clusters.
        "--authorization-mode=Node,RBAC",
        // PodSecurity is on by default in 1.33; named so that a change of defaults cannot drop it.
        "--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,PodSecurity,ResourceQuota,NodeRestriction",
        `--kubelet-client-certificate=${kubeletClient.certFile}`,
        `--kubelet-client-key=${kubeletClient.keyFile}`,
        // The node's name resolves nowhere; its InternalIP is the address the cluster gave it.
        "--kubelet-preferred-address-types=InternalIP",
        `--cert-dir=${path.join(workDir, "apiserver-certs")}`,
        "--profiling=false",
        // As on real clusters: privileged pods are allowed by the API, so Pod Security admission
        // is what refuses them in a restricted namespace.
        "--allow-privileged=true",
      ],
      logFile: path.join(workDir, "kube-apiserver.log"),
      ready: { probe: () => apiReady(server, caPem, adminCert, adminKey) },
      timeoutMs: 180_000,
    });
    processes.push(apiserver.process);

    const kubeconfig = path.join(workDir, "kubeconfig");
    const b64 = (data: Buffer) => data.toString("base64");
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "test", cluster: { server, "certificate-authority-data": b64(caPem) } }],
        users: [
          { name: "admin", user: { "client-certificate-data": b64(adminCert), "client-key-data": b64(adminKey) } },
        ],
        contexts: [{ name: "test", context: { cluster: "test", user: "admin" } }],
        "current-context": "test",
      }),
      { mode: 0o600 },
    );

    const controllerManager = await startServiceProcess({
      name: "kube-controller-manager",
      command: controllerManagerBinary,
      args: [
        `--kubeconfig=${kubeconfig}`,
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        `--secure-port=${controllerManagerPort}`,
        `--cert-dir=${path.join(workDir, "controller-manager-certs")}`,
        `--service-account-private-key-file=${serviceAccount.privateKeyFile}`,
        `--root-ca-file=${ca.certFile}`,
        `--cluster-signing-cert-file=${ca.certFile}`,
        `--cluster-signing-key-file=${ca.keyFile}`,
        "--service-cluster-ip-range=10.96.0.0/16",
        "--profiling=false",
      ],
      logFile: path.join(workDir, "kube-controller-manager.log"),
      ready: { probe: () => healthzOk(controllerManagerPort) },
      timeoutMs: 120_000,
    });
    processes.push(controllerManager.process);
    return { server, ca, kubeconfig, stop };
  } catch (error) {
    return await cleanUpAndRethrow(error, stop);
  }
}
