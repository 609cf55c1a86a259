// The endpoints and ports the flow tables are computed over.
import type { Endpoint } from "./network.js";

const kit = (name: string, component: string): Endpoint => ({
  name,
  namespace: "mcp-bastion",
  labels: { "app.kubernetes.io/name": component, "app.kubernetes.io/part-of": "mcp-bastion" },
});

export const ENDPOINTS: Endpoint[] = [
  kit("mcp", "mcp-server"),
  kit("neo4j", "neo4j"),
  kit("backup", "backup"),
  kit("minio", "object-store"),
  kit("sandbox", "sandbox"),
  kit("valkey", "rate-limit-store"),
  { name: "collector", namespace: "observability", labels: { "app.kubernetes.io/name": "opentelemetry-collector" } },
  { name: "ingress", namespace: "ingress-nginx", labels: { "app.kubernetes.io/name": "ingress-nginx" } },
  { name: "prometheus", namespace: "monitoring", labels: { "app.kubernetes.io/name": "prometheus" } },
  { name: "dns", namespace: "kube-system", labels: { "k8s-app": "kube-dns" } },
  { name: "linkerd", namespace: "linkerd", labels: { "linkerd.io/control-plane-component": "destination" } },
  { name: "other-pod", namespace: "default", labels: { app: "other" } },
  { name: "internet", namespace: "external", labels: {}, ip: "93.184.216.34" },
  { name: "vpc", namespace: "external", labels: {}, ip: "10.1.2.3" },
  { name: "metadata", namespace: "external", labels: {}, ip: "169.254.169.254" },
  { name: "s3", namespace: "external", labels: {}, ip: "52.218.1.10" },
  { name: "elasticache", namespace: "external", labels: {}, ip: "10.20.8.5" },
];

export const PORTS = [22, 53, 443, 4143, 4191, 4318, 6379, 7687, 8080, 8086, 8090, 9000, 9464].flatMap((port) =>
  port === 53
    ? [
        { port, protocol: "UDP" },
        { port, protocol: "TCP" },
      ]
    : [{ port, protocol: "TCP" }],
);

// The namespace-wide flows (DNS, the mesh) reach every pod of the kit, a Valkey's too where one runs.
const KIT = ["mcp", "neo4j", "backup", "minio", "valkey"];

/**
 * The flows a stack allows with the mesh on; the backup goes to MinIO (local) or S3 (aws); the
 * rate-limit store is each pod's memory, a Valkey in the namespace or ElastiCache at its subnets.
 */
export function expectedFlows(
  backupTarget: "minio" | "s3",
  options: { limitStore?: "valkey" | "elasticache"; collector?: boolean } = {},
): string[] {
  const lines = [
    "ingress -> mcp:8080/TCP",
    "prometheus -> mcp:9464/TCP",
    "mcp -> internet:443/TCP",
    "mcp -> neo4j:7687/TCP",
    "backup -> neo4j:7687/TCP",
    backupTarget === "minio" ? "backup -> minio:9000/TCP" : "backup -> s3:443/TCP",
    // S3's address is public HTTPS, which the server may reach like any other public host.
    "mcp -> s3:443/TCP",
    // run_python's sandbox: reached by the server alone, and itself reaching nothing at all
    // (no DNS, no mesh), so it appears in no other line.
    "mcp -> sandbox:8090/TCP",
    ...(options.limitStore ? [`mcp -> ${options.limitStore}:6379/TCP`] : []),
    ...(options.collector ? ["mcp -> collector:4318/TCP", "backup -> collector:4318/TCP"] : []),
  ];
  for (const pod of KIT) {
    lines.push(`${pod} -> dns:53/UDP`, `${pod} -> dns:53/TCP`);
    lines.push(`linkerd -> ${pod}:4191/TCP`, `prometheus -> ${pod}:4191/TCP`);
    for (const port of [8080, 8086, 8090]) lines.push(`${pod} -> linkerd:${port}/TCP`);
    for (const peer of KIT) lines.push(`${pod} -> ${peer}:4143/TCP`);
  }
  return lines.sort();
}
