// The configuration files of the node's programs: containerd, the CNI bridge, the kubelet,
// kube-proxy and the kubeconfigs they reach the API server with. Each is written as the program
// reads it; kube-node.ts decides where they live and starts the programs.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { TestCa } from "./dev-pki.js";
import { PAUSE_IMAGE } from "./kube-images.js";
import { NODE_NETWORK } from "./kube-node-host.js";

export const NODE_NAME = "mcp-bastion-node";

export async function writeKubeconfig(
  file: string,
  server: string,
  ca: TestCa,
  user: { certFile: string; keyFile: string },
): Promise<void> {
  const b64 = async (f: string) => (await readFile(f)).toString("base64");
  await writeFile(
    file,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "test", cluster: { server, "certificate-authority-data": await b64(ca.certFile) } }],
      users: [
        {
          name: "user",
          user: { "client-certificate-data": await b64(user.certFile), "client-key-data": await b64(user.keyFile) },
        },
      ],
      contexts: [{ name: "test", context: { cluster: "test", user: "user" } }],
      "current-context": "test",
    }),
    { mode: 0o600 },
  );
}

/** containerd's store and state under `dir`; its sockets at `socket` (a path short enough for one). */
export function containerdConfig(dir: string, socket: string): string {
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
[grpc]
  address = "${socket}"
[ttrpc]
  address = "${socket}.ttrpc"
[debug]
  level = "warn"
[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  netns_mounts_under_state_dir = true
  # The machine's root lacks CAP_SYS_RESOURCE: runc may only raise a container's oom_score_adj.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "${dir}/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${dir}/../cni/net.d"
    max_conf_num = 1
`;
}

export function cniConfig(ipamDir: string): string {
  return JSON.stringify({
    cniVersion: "1.0.0",
    name: "mcp-bastion",
    plugins: [
      {
        type: "bridge",
        bridge: NODE_NETWORK.bridge,
        isGateway: true,
        // No masquerade: pods reach only the cluster, and NetworkPolicies see their real addresses.
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: "host-local",
          dataDir: ipamDir,
          ranges: [[{ subnet: NODE_NETWORK.podCidr, gateway: NODE_NETWORK.gateway }]],
          routes: [{ dst: "0.0.0.0/0" }],
        },
      },
    ],
  });
}

export function kubeletConfig(
  dir: string,
  socket: string,
  ca: TestCa,
  ports: { kubelet: number; healthz: number },
): string {
  return JSON.stringify({
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    containerRuntimeEndpoint: `unix://${socket}`,
    cgroupDriver: "cgroupfs",
    failSwapOn: false,
    failCgroupV1: false,
    address: NODE_NETWORK.gateway,
    port: ports.kubelet,
    readOnlyPort: 0,
    healthzBindAddress: "127.0.0.1",
    healthzPort: ports.healthz,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: ca.certFile } },
    authorization: { mode: "Webhook" },
    clusterDNS: [NODE_NETWORK.dnsServiceIp],
    clusterDomain: "cluster.local",
    // No kubelet iptables chains: kube-proxy owns the NAT rules.
    makeIPTablesUtilChains: false,
    kernelMemcgNotification: false,
    podLogsDir: path.join(dir, "pod-logs"),
    volumePluginDir: path.join(dir, "volume-plugins"),
    evictionHard: {
      "memory.available": "100Mi",
      "nodefs.available": "1%",
      "imagefs.available": "1%",
      "nodefs.inodesFree": "1%",
    },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    serializeImagePulls: false,
    maxPods: 60,
  });
}

export function kubeProxyConfig(kubeconfig: string, ports: { metrics: number; healthz: number }): string {
  return JSON.stringify({
    apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
    kind: "KubeProxyConfiguration",
    clientConnection: { kubeconfig },
    mode: "iptables",
    hostnameOverride: NODE_NAME,
    bindAddress: NODE_NETWORK.gateway,
    clusterCIDR: NODE_NETWORK.podCidr,
    healthzBindAddress: `127.0.0.1:${ports.healthz}`,
    metricsBindAddress: `127.0.0.1:${ports.metrics}`,
    // NodePorts only on the node's own address, never on the machine's.
    nodePortAddresses: [`${NODE_NETWORK.gateway}/32`],
    // Zero leaves the host's conntrack settings as they are.
    conntrack: {
      maxPerCore: 0,
      min: 0,
      tcpEstablishedTimeout: "0s",
      tcpCloseWaitTimeout: "0s",
      udpTimeout: "0s",
      udpStreamTimeout: "0s",
    },
    // Localhost NodePorts would need route_localnet on every interface.
    iptables: { localhostNodePorts: false, masqueradeAll: false, syncPeriod: "10s", minSyncPeriod: "1s" },
  });
}
