// What a cluster with a node gets from its platform team before any workload: a "standard"
// StorageClass backed by local volumes on the node, and cluster DNS (CoreDNS in kube-system,
// labelled k8s-app=kube-dns like every distribution's, behind the Service the kubelet names).
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { PatchStrategy, setHeaderOptions, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { NODE_NETWORK } from "./kube-node-host.js";
import { until } from "./polling.js";

export const STORAGE_CLASS = "standard";
const LOCAL_VOLUMES = 4;

async function create(config: KubeConfig, objects: KubernetesObject[]): Promise<void> {
  const { KubernetesObjectApi } = await import("@kubernetes/client-node");
  const api = KubernetesObjectApi.makeApiClient(config);
  for (const object of objects) await api.create(object);
}

/** Local PersistentVolumes on the node (the kubelet gives them the pod's fsGroup), bound on first use. */
export async function createLocalVolumes(config: KubeConfig, nodeName: string, dir: string): Promise<void> {
  const volumes: KubernetesObject[] = [];
  for (let index = 0; index < LOCAL_VOLUMES; index += 1) {
    const volumeDir = path.join(dir, `volume-${index}`);
    await mkdir(volumeDir, { recursive: true, mode: 0o755 });
    volumes.push({
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: `local-${index}` },
      spec: {
        capacity: { storage: "20Gi" },
        accessModes: ["ReadWriteOnce"],
        // Retain, then wiped and made Available again by recycleLocalVolumes(): no provisioner deletes local volumes.
        persistentVolumeReclaimPolicy: "Retain",
        storageClassName: STORAGE_CLASS,
        local: { path: volumeDir },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [nodeName] }] },
            ],
          },
        },
      },
    } as KubernetesObject);
  }
  await create(config, [
    {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: STORAGE_CLASS },
      provisioner: "kubernetes.io/no-provisioner",
      volumeBindingMode: "WaitForFirstConsumer",
      reclaimPolicy: "Retain",
    } as KubernetesObject,
    ...volumes,
  ]);
}

const COREFILE = `.:53 {
    errors
    health :8080
    ready :8181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 30
}
`;

const DNS_LABELS = { "k8s-app": "kube-dns" };

/** CoreDNS as a pod (so NetworkPolicies select it as on any cluster), ready when it answers. */
export async function startClusterDns(config: KubeConfig, image: string): Promise<void> {
  const namespace = "kube-system";
  const metadata = (name: string) => ({ name, namespace, labels: DNS_LABELS });
  await create(config, [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: metadata("coredns") },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "system:coredns" },
      rules: [
        { apiGroups: [""], resources: ["endpoints", "services", "pods", "namespaces"], verbs: ["list", "watch"] },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
      ],
    } as KubernetesObject,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "system:coredns" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:coredns" },
      subjects: [{ kind: "ServiceAccount", name: "coredns", namespace }],
    } as KubernetesObject,
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: metadata("coredns"),
      data: { Corefile: COREFILE },
    } as KubernetesObject,
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: metadata("coredns"),
      spec: {
        replicas: 1,
        selector: { matchLabels: DNS_LABELS },
        template: {
          metadata: { labels: DNS_LABELS },
          spec: {
            serviceAccountName: "coredns",
            dnsPolicy: "Default",
            terminationGracePeriodSeconds: 5,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 10006,
              runAsGroup: 10006,
              seccompProfile: { type: "RuntimeDefault" },
              // Port 53 without a capability: a namespaced sysctl of the pod's own network.
              sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "53" }],
            },
            containers: [
              {
                name: "coredns",
                image,
                imagePullPolicy: "Never",
                args: ["-conf", "/etc/coredns/Corefile"],
                ports: [
                  { name: "dns", containerPort: 53, protocol: "UDP" },
                  { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
                ],
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ["ALL"] },
                },
                readinessProbe: { httpGet: { path: "/ready", port: 8181 }, periodSeconds: 2 },
                livenessProbe: { httpGet: { path: "/health", port: 8080 }, periodSeconds: 10 },
                resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { memory: "128Mi" } },
                volumeMounts: [{ name: "config", mountPath: "/etc/coredns", readOnly: true }],
              },
            ],
            volumes: [{ name: "config", configMap: { name: "coredns" } }],
          },
        },
      },
    } as KubernetesObject,
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: metadata("kube-dns"),
      spec: {
        selector: DNS_LABELS,
        clusterIP: NODE_NETWORK.dnsServiceIp,
        ports: [
          { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
          { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
        ],
      },
    } as KubernetesObject,
  ]);
  const { AppsV1Api } = await import("@kubernetes/client-node");
  const apps = config.makeApiClient(AppsV1Api);
  await until("CoreDNS ready", 120, async () => {
    const deployment = await apps.readNamespacedDeployment({ name: "coredns", namespace }).catch(() => undefined);
    return (deployment?.status?.readyReplicas ?? 0) >= 1 ? true : undefined;
  });
}

/**
 * No ingress controller runs on this node (ingress-nginx's image cannot be had here), so the
 * cluster does the one thing of a controller's that the engine waits for: it records the
 * node's address as each Ingress's load-balancer address. Traffic reaches the server through
 * its Service; nothing serves the Ingress. Returns the function that stops it.
 */
export function publishIngressAddresses(config: KubeConfig): () => void {
  let stopped = false;
  const loop = (async () => {
    const { NetworkingV1Api } = await import("@kubernetes/client-node");
    const networking = config.makeApiClient(NetworkingV1Api);
    while (!stopped) {
      const ingresses = await networking.listIngressForAllNamespaces().catch(() => ({ items: [] }));
      for (const ingress of ingresses.items) {
        if (
          (ingress.status?.loadBalancer?.ingress ?? []).length > 0 ||
          !ingress.metadata?.name ||
          !ingress.metadata.namespace
        )
          continue;
        await networking
          .replaceNamespacedIngressStatus({
            name: ingress.metadata.name,
            namespace: ingress.metadata.namespace,
            body: { ...ingress, status: { loadBalancer: { ingress: [{ ip: NODE_NETWORK.gateway }] } } },
          })
          .catch(() => undefined);
      }
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  })();
  return () => {
    stopped = true;
    void loop;
  };
}

/**
 * What a local-volume provisioner does once a claim is gone: the volume's data is deleted and
 * the volume is offered again, so a destroyed stack leaves none of its data on the node.
 */
export function recycleLocalVolumes(config: KubeConfig): () => void {
  let stopped = false;
  const loop = (async () => {
    const { CoreV1Api } = await import("@kubernetes/client-node");
    const core = config.makeApiClient(CoreV1Api);
    while (!stopped) {
      const volumes = await core.listPersistentVolume().catch(() => ({ items: [] }));
      for (const volume of volumes.items) {
        const dir = volume.spec?.local?.path;
        if (
          volume.spec?.storageClassName !== STORAGE_CLASS ||
          !dir ||
          volume.status?.phase !== "Released" ||
          !volume.metadata?.name
        )
          continue;
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir, { recursive: true, mode: 0o755 });
        await core
          .patchPersistentVolume(
            { name: volume.metadata.name, body: [{ op: "remove", path: "/spec/claimRef" }] },
            setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
          )
          .catch(() => undefined);
      }
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  })();
  return () => {
    stopped = true;
    void loop;
  };
}
