// The MCP server: a hardened Deployment behind a ClusterIP Service and a TLS Ingress, its
// settings in a ConfigMap, its secrets mounted as files, a PDB, an HPA and zone spreading. The
// pod serves HTTPS with a cert-manager certificate it reloads on rotation; the ingress
// controller re-encrypts to it and verifies it against the kit's CA.
import { Chart, Duration, Size } from "cdk8s";
import type { Construct } from "constructs";
import * as kplus from "cdk8s-plus-28";
import {
  IDS,
  NAMES,
  PORTS,
  clusterService,
  configChecksum,
  healthProbes,
  keepOnePod,
  mountSecretFiles,
  objectLabels,
  podLabels,
  resources,
  restrictedContainer,
  restrictedWorkload,
  selectPods,
  spreadPods,
  type ResourceProps,
} from "./common.js";
import { SECRET_MOUNTS, mountNeo4jClientFiles, neo4jBoltUri, serviceHost } from "./addresses.js";

export interface McpServerProps {
  /** The kit's namespace. */
  readonly namespace: string;
  /** The server image, by digest (name@sha256:...). */
  readonly image: string;
  /**
   * The image's arguments that start the server.
   * @default ["dist/main.js"]
   */
  readonly args?: readonly string[];
  /** The public host name the Ingress serves and its certificate names. */
  readonly host: string;
  /**
   * The ingress class (ingress-nginx: the annotations are its).
   * @default "nginx"
   */
  readonly ingressClassName?: string;
  /**
   * The fewest pods the autoscaler keeps; at least 2, so a disruption never takes the service down.
   * @default 2
   */
  readonly minReplicas?: number;
  /**
   * The most pods the autoscaler runs.
   * @default 6
   */
  readonly maxReplicas?: number;
  /**
   * Each pod's CPU and memory.
   * @default { cpuRequest: "250m", cpuLimit: "1", memoryRequest: "256Mi", memoryLimit: "512Mi" }
   */
  readonly resources?: ResourceProps;
  /**
   * The token verification keys as a JWKS (public keys only), mounted as a file.
   * @default undefined: the environment names AUTH_JWKS_URL, where the server fetches them
   */
  readonly jwks?: string;
  /**
   * The server's settings as environment variables (mcp-server-env.ts serverEnvironment maps
   * the stack's); the chart adds its listeners and where it mounts each file.
   */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Mount the rate-limit store's password Secret.
   * @default false
   */
  readonly limitStorePassword?: boolean;
}

const DEFAULT_RESOURCES: ResourceProps = {
  cpuRequest: "250m",
  cpuLimit: "1",
  memoryRequest: "256Mi",
  memoryLimit: "512Mi",
};

/** ingress-nginx: HTTPS only at the edge, and HTTPS verified against the kit's CA to the pod. */
function ingressAnnotations(namespace: string): Record<string, string> {
  return {
    "nginx.ingress.kubernetes.io/ssl-redirect": "true",
    "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
    "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS",
    "nginx.ingress.kubernetes.io/proxy-ssl-secret": `${namespace}/${NAMES.ingressClientTls}`,
    "nginx.ingress.kubernetes.io/proxy-ssl-verify": "on",
    "nginx.ingress.kubernetes.io/proxy-ssl-name": serviceHost(NAMES.mcp, namespace),
    "nginx.ingress.kubernetes.io/proxy-ssl-server-name": "on",
    "nginx.ingress.kubernetes.io/proxy-ssl-protocols": "TLSv1.2 TLSv1.3",
  };
}

export class McpServerChart extends Chart {
  constructor(scope: Construct, id: string, props: McpServerProps) {
    super(scope, id, { namespace: props.namespace, labels: objectLabels("mcp-server") });
    const labels = podLabels("mcp-server");

    const config = new kplus.ConfigMap(this, "config", {
      metadata: { name: NAMES.mcpConfig },
      data: {
        NODE_ENV: "production",
        MCP_HOST: "0.0.0.0",
        MCP_PORT: String(PORTS.mcp),
        METRICS_HOST: "0.0.0.0",
        METRICS_PORT: String(PORTS.metrics),
        ...(props.jwks ? { AUTH_JWKS_FILE: `${SECRET_MOUNTS.jwks}/jwks.json` } : {}),
        NEO4J_URI: neo4jBoltUri(props.namespace),
        NEO4J_USER: "neo4j",
        NEO4J_PASSWORD_FILE: `${SECRET_MOUNTS.neo4j}/password`,
        // Bolt TLS is signed by the kit's CA. The driver re-reads this bundle (trust-manager's,
        // a whole-volume ConfigMap mount the kubelet keeps current) for every new connection,
        // so a CA rotation needs no restart.
        NEO4J_CA_FILE: `${SECRET_MOUNTS.caBundle}/ca.crt`,
        // A whole-volume Secret mount: the kubelet swaps the files on renewal and the server
        // reloads them (directory watch plus a periodic re-read), keeping its connections.
        MCP_TLS_CERT_FILE: `${SECRET_MOUNTS.serving}/tls.crt`,
        MCP_TLS_KEY_FILE: `${SECRET_MOUNTS.serving}/tls.key`,
        ...props.environment,
      },
    });
    const jwksData = props.jwks ? { "jwks.json": props.jwks } : undefined;

    const deployment = new kplus.Deployment(this, "deployment", {
      // No replica count: the HPA owns it, from minReplicas up to maxReplicas.
      ...restrictedWorkload(this, NAMES.mcp, IDS.mcp, {
        labels,
        // The settings are read once at start: a changed ConfigMap must roll the pods.
        annotations: { "checksum/config": configChecksum(config.data, jwksData ?? {}) },
      }),
      terminationGracePeriod: Duration.seconds(30),
      containers: [
        restrictedContainer(IDS.mcp, {
          name: "mcp-server",
          image: props.image,
          args: [...(props.args ?? ["dist/main.js"])],
          ports: [
            { name: "https", number: PORTS.mcp },
            { name: "metrics", number: PORTS.metrics },
          ],
          envFrom: [kplus.Env.fromConfigMap(config)],
          resources: resources(props.resources ?? DEFAULT_RESOURCES),
          ...healthProbes(PORTS.mcp, kplus.ConnectionScheme.HTTPS),
        }),
      ],
    });
    selectPods(deployment, labels);
    // Across zones where it can, and never two pods on one node.
    spreadPods(deployment, labels, {
      "topology.kubernetes.io/zone": "ScheduleAnyway",
      "kubernetes.io/hostname": "DoNotSchedule",
    });

    const container = deployment.containers[0];
    if (!container) throw new Error("the MCP server deployment has no container");
    container.mount("/tmp", kplus.Volume.fromEmptyDir(this, "tmp", "tmp", { sizeLimit: Size.mebibytes(64) }));
    mountNeo4jClientFiles(this, container);
    mountSecretFiles(this, container, SECRET_MOUNTS.serving, "serving-tls", NAMES.mcpTls, {
      "tls.crt": "tls.crt",
      "tls.key": "tls.key",
    });
    if (props.limitStorePassword) {
      mountSecretFiles(this, container, SECRET_MOUNTS.rateLimitStore, "rate-limit-store", NAMES.limitStoreCredentials, {
        password: "password",
      });
    }
    if (jwksData) {
      const jwks = new kplus.ConfigMap(this, "jwks", { metadata: { name: `${NAMES.mcp}-jwks` }, data: jwksData });
      container.mount(
        SECRET_MOUNTS.jwks,
        kplus.Volume.fromConfigMap(this, "jwks-volume", jwks, { name: "jwks", defaultMode: 0o444 }),
        { readOnly: true },
      );
    }

    const service = clusterService(this, NAMES.mcp, labels, [
      { name: "https", port: PORTS.mcp },
      { name: "metrics", port: PORTS.metrics },
    ]);

    new kplus.Ingress(this, "ingress", {
      metadata: {
        name: NAMES.mcp,
        annotations: ingressAnnotations(props.namespace),
      },
      className: props.ingressClassName ?? "nginx",
      tls: [{ hosts: [props.host], secret: kplus.Secret.fromSecretName(this, "public-tls", NAMES.publicTls) }],
      rules: [
        {
          host: props.host,
          path: "/",
          pathType: kplus.HttpIngressPathType.PREFIX,
          backend: kplus.IngressBackend.fromService(service, { port: PORTS.mcp }),
        },
      ],
    });

    keepOnePod(this, NAMES.mcp, labels);

    new kplus.HorizontalPodAutoscaler(this, "hpa", {
      metadata: { name: NAMES.mcp },
      target: deployment,
      minReplicas: props.minReplicas ?? 2,
      maxReplicas: props.maxReplicas ?? 6,
      metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(70))],
    });
  }
}
