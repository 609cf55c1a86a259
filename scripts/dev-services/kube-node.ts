// A real node for the test cluster: containerd + runc run the pods, the kubelet registers with
// the control plane, kube-scheduler places pods, kube-proxy programs Services, kube-router
// enforces NetworkPolicies (iptables + ipset) and CoreDNS answers in kube-system. Pods sit on a
// bridge the node makes (kube-node-host.ts); the node's address is that bridge's gateway, so no
// cluster traffic touches the machine's own network. Everything stops and is removed on stop().
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { installCoreDns, installKubeRouter, installKubernetesNodePrograms, type NodePrograms } from "./kube-builds.js";
import { healthzOk, type KubeCluster } from "./kube-cluster.js";
import { NODE_NETWORK, claimNodeHost, ensureNodePackages, type NodeHost } from "./kube-node-host.js";
import { buildBinaryImage, buildPauseImage, type ImageArchive } from "./kube-images.js";
import {
  NODE_NAME,
  cniConfig,
  containerdConfig,
  kubeProxyConfig,
  kubeletConfig,
  writeKubeconfig,
} from "./kube-node-config.js";
import {
  createLocalVolumes,
  publishIngressAddresses,
  recycleLocalVolumes,
  startClusterDns,
} from "./kube-node-objects.js";
import { freePort, startServiceProcess, type ServiceProcess } from "./service-process.js";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";
import { issueClientCertificate } from "./dev-pki.js";
import { PrerequisiteError, cleanUpAndRethrow, runCommand } from "./toolchain.js";

export { NODE_NAME };
export const COREDNS_IMAGE = "localhost/mcp-bastion/coredns:1.15.0";
/** busybox alone, for pods that probe the network (nc, nslookup) in tests. */
export const PROBE_IMAGE = "localhost/mcp-bastion/busybox:1.35";

export interface KubeNode {
  readonly name: string;
  /** Imports an image archive into the node's containerd; resolves to its reference by digest. */
  importImage(archive: ImageArchive): Promise<string>;
  stop(): Promise<void>;
}

export interface NodeBuilds {
  programs: NodePrograms;
  kubeRouter: string;
  coreDns: string;
  pause: ImageArchive;
  coreDnsImage: ImageArchive;
  probeImage: ImageArchive;
}

/** Builds and installs what the node needs (first run only). */
export async function installKubeNode(): Promise<NodeBuilds> {
  await ensureNodePackages();
  const programs = await installKubernetesNodePrograms();
  const coreDns = await installCoreDns();
  return {
    programs,
    kubeRouter: await installKubeRouter(),
    coreDns,
    pause: await buildPauseImage(),
    coreDnsImage: await buildBinaryImage("coredns-1.15.0", COREDNS_IMAGE, coreDns, "10006:10006", "/coredns"),
    probeImage: await buildBinaryImage("busybox-1.35", PROBE_IMAGE, "/bin/busybox", "10010:10010", "/bin/busybox"),
  };
}

/**
 * The longest socket path each program binds: the kernel's sun_path holds 107 bytes and its NUL,
 * and containerd refuses more than 104 ("unix socket path too long (> 104)"), the portable limit.
 */
const MAX_SOCKET_PATH_BYTES = { kernel: 107, containerd: 104 } as const;

/** Refuses, by name, a socket path its program cannot bind: the program would only exit. */
function checkSocketPath(socket: string, limit: number): void {
  const bytes = Buffer.byteLength(socket);
  if (bytes > limit)
    throw new PrerequisiteError(
      `the node's socket ${socket} is ${bytes} bytes long, over the ${limit} its program can bind: set TMPDIR to a shorter directory`,
    );
}

async function httpOk(url: string): Promise<string | undefined> {
  const response = await fetch(url).catch(() => undefined);
  return response?.ok ? "ok" : undefined;
}

async function nodeReady(config: KubeConfig): Promise<string | undefined> {
  const { CoreV1Api } = await import("@kubernetes/client-node");
  const node = await config
    .makeApiClient(CoreV1Api)
    .readNode({ name: NODE_NAME })
    .catch(() => undefined);
  return node?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? "ok" : undefined;
}

export async function startKubeNode(cluster: KubeCluster & { config: KubeConfig }, workDir: string): Promise<KubeNode> {
  const builds = await installKubeNode();
  const { programs, kubeRouter } = builds;
  const routerArgs = (extra: string[]) => [
    `--kubeconfig=${cluster.kubeconfig}`,
    `--hostname-override=${NODE_NAME}`,
    ...extra,
  ];
  const host: NodeHost = await claimNodeHost(workDir, [
    async () => void (await runCommand(programs.kubeProxy, ["--cleanup", "--proxy-mode=iptables"])),
    async () => void (await runCommand(kubeRouter, routerArgs(["--cleanup-config"]))),
  ]);
  const processes: ServiceProcess[] = [];
  let apiProxy: TcpProxy | undefined;
  const loops: Array<() => void> = [];
  const stop = async () => {
    for (const stopLoop of loops) stopLoop();
    for (const child of [...processes].reverse()) await child.stop();
    await apiProxy?.close();
    await host.restore();
  };
  try {
    const dirs = {
      containerd: path.join(workDir, "containerd"),
      cni: path.join(workDir, "cni"),
      kubelet: path.join(workDir, "kubelet"),
      pki: path.join(workDir, "pki"),
    };
    for (const dir of [...Object.values(dirs), path.join(dirs.cni, "net.d")])
      await mkdir(dir, { recursive: true, mode: 0o700 });

    // Pods reach the API server at the node's address; the API server listens on loopback only.
    const apiPort = Number(new URL(cluster.server).port);
    apiProxy = await startTcpProxy("127.0.0.1", apiPort, { listen: { host: NODE_NETWORK.gateway, port: apiPort } });

    const socket = path.join(host.runDir, "containerd.sock");
    // The kubelet serves its pod-resources API on a socket under its root directory. It binds it
    // under a random name of up to ten digits first (ten in 77% of draws) and exits when that
    // fails, so a root under a deep cache directory made it fail at random.
    const kubeletRoot = path.join(host.runDir, "kubelet");
    checkSocketPath(`${socket}.ttrpc`, MAX_SOCKET_PATH_BYTES.containerd);
    checkSocketPath(path.join(kubeletRoot, "pod-resources", "kubelet.sock"), MAX_SOCKET_PATH_BYTES.kernel);
    await writeFile(path.join(dirs.containerd, "config.toml"), containerdConfig(dirs.containerd, socket));
    await writeFile(path.join(dirs.cni, "net.d", "10-mcp-bastion.conflist"), cniConfig(path.join(dirs.cni, "ipam")));
    const containerd = await startServiceProcess({
      name: "containerd",
      command: "containerd",
      args: ["--config", path.join(dirs.containerd, "config.toml")],
      logFile: path.join(workDir, "containerd.log"),
      ready: {
        probe: () =>
          runCommand("ctr", ["--address", socket, "version"]).then(
            () => "ok",
            () => undefined,
          ),
      },
      timeoutMs: 60_000,
    });
    processes.push(containerd.process);
    const importImage = async (archive: ImageArchive): Promise<string> => {
      await runCommand("ctr", [
        "--address",
        socket,
        "-n",
        "k8s.io",
        "images",
        "import",
        "--snapshotter",
        "native",
        archive.file,
      ]);
      const listed = (await runCommand("ctr", ["--address", socket, "-n", "k8s.io", "images", "ls"])).stdout;
      const row = listed
        .split("\n")
        .map((line) => line.trim().split(/\s+/))
        .find((columns) => columns[0] === archive.name);
      const digest = row?.find((column) => /^sha256:[0-9a-f]{64}$/.test(column));
      if (!digest) throw new Error(`containerd lists no image ${archive.name} after importing ${archive.file}`);
      const repository = archive.name.replace(/:[^/:]+$/, "");
      const byDigest = `${repository}@${digest}`;
      // The CRI plugin resolves a reference by the image names containerd holds: name the digest too.
      await runCommand("ctr", [
        "--address",
        socket,
        "-n",
        "k8s.io",
        "images",
        "tag",
        "--force",
        archive.name,
        byDigest,
      ]);
      return byDigest;
    };
    await importImage(builds.pause);
    const coreDnsImage = await importImage(builds.coreDnsImage);
    await importImage(builds.probeImage);

    const ca = cluster.ca;
    const kubeletCert = await issueClientCertificate(
      { ...ca, dir: dirs.pki },
      `system:node:${NODE_NAME}`,
      "system:nodes",
    );
    const schedulerCert = await issueClientCertificate(
      { ...ca, dir: dirs.pki },
      "system:kube-scheduler",
      "system:kube-scheduler",
    );
    const proxyCert = await issueClientCertificate(
      { ...ca, dir: dirs.pki },
      "system:kube-proxy",
      "system:node-proxier",
    );
    const kubeconfigs = {
      kubelet: path.join(dirs.pki, "kubelet.kubeconfig"),
      scheduler: path.join(dirs.pki, "scheduler.kubeconfig"),
      proxy: path.join(dirs.pki, "proxy.kubeconfig"),
    };
    await writeKubeconfig(kubeconfigs.kubelet, cluster.server, ca, kubeletCert);
    await writeKubeconfig(kubeconfigs.scheduler, cluster.server, ca, schedulerCert);
    await writeKubeconfig(kubeconfigs.proxy, cluster.server, ca, proxyCert);

    const kubeletPorts = { kubelet: await freePort(), healthz: await freePort() };
    await writeFile(path.join(dirs.kubelet, "config.json"), kubeletConfig(dirs.kubelet, socket, ca, kubeletPorts));
    const kubelet = await startServiceProcess({
      name: "kubelet",
      command: programs.kubelet,
      args: [
        `--config=${path.join(dirs.kubelet, "config.json")}`,
        `--kubeconfig=${kubeconfigs.kubelet}`,
        `--root-dir=${kubeletRoot}`,
        `--cert-dir=${path.join(dirs.kubelet, "pki")}`,
        `--hostname-override=${NODE_NAME}`,
        `--node-ip=${NODE_NETWORK.gateway}`,
        "--v=1",
      ],
      logFile: path.join(workDir, "kubelet.log"),
      ready: { probe: () => nodeReady(cluster.config) },
      timeoutMs: 120_000,
    });
    processes.push(kubelet.process);

    const schedulerPort = await freePort();
    const scheduler = await startServiceProcess({
      name: "kube-scheduler",
      command: programs.kubeScheduler,
      args: [
        `--kubeconfig=${kubeconfigs.scheduler}`,
        `--authentication-kubeconfig=${kubeconfigs.scheduler}`,
        `--authorization-kubeconfig=${kubeconfigs.scheduler}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${schedulerPort}`,
        "--leader-elect=false",
        `--cert-dir=${path.join(workDir, "scheduler-certs")}`,
      ],
      logFile: path.join(workDir, "kube-scheduler.log"),
      ready: { probe: () => healthzOk(schedulerPort) },
      timeoutMs: 60_000,
    });
    processes.push(scheduler.process);

    const proxyPorts = { metrics: await freePort(), healthz: await freePort() };
    await writeFile(path.join(workDir, "kube-proxy.json"), kubeProxyConfig(kubeconfigs.proxy, proxyPorts));
    const proxy = await startServiceProcess({
      name: "kube-proxy",
      command: programs.kubeProxy,
      args: [`--config=${path.join(workDir, "kube-proxy.json")}`],
      logFile: path.join(workDir, "kube-proxy.log"),
      ready: { probe: () => httpOk(`http://127.0.0.1:${proxyPorts.healthz}/healthz`) },
      timeoutMs: 60_000,
    });
    processes.push(proxy.process);

    const router = await startServiceProcess({
      name: "kube-router",
      command: kubeRouter,
      args: routerArgs([
        "--run-firewall=true",
        "--run-router=false",
        "--run-service-proxy=false",
        "--enable-cni=false",
        `--service-cluster-ip-range=${NODE_NETWORK.serviceCidr}`, // No health or metrics listeners: kube-router would open them on every address.
        "--health-port=0",
        "--metrics-port=0",
        "--iptables-sync-period=10s",
        "--v=1",
      ]),
      logFile: path.join(workDir, "kube-router.log"),
      // Ready once its first sync has hooked its chain into FORWARD.
      ready: {
        probe: () =>
          runCommand("iptables", ["-S", "KUBE-ROUTER-FORWARD"]).then(
            () => "ok",
            () => undefined,
          ),
      },
      timeoutMs: 60_000,
    });
    processes.push(router.process);

    await createLocalVolumes(cluster.config, NODE_NAME, path.join(workDir, "volumes"));
    await startClusterDns(cluster.config, coreDnsImage);
    loops.push(publishIngressAddresses(cluster.config), recycleLocalVolumes(cluster.config));
    return { name: NODE_NAME, importImage, stop };
  } catch (error) {
    return await cleanUpAndRethrow(error, stop);
  }
}
