// The MCP server: a hardened Deployment behind a ClusterIP Service and a TLS Ingress, its
// settings in a ConfigMap, its secrets mounted as files, a PDB, an HPA and zone spreading. The
// pod serves HTTPS with a cert-manager certificate it reloads on rotation; the ingress
// controller re-encrypts to it and verifies it against the kit's CA.
import { ApiObject, Chart, Duration, JsonPatch, Size } from "cdk8s";
import type { Construct } from "constructs";
import * as kplus from "cdk8s-plus-28";
import { KubePodDisruptionBudget, IntOrString } from "cdk8s-plus-28/lib/imports/k8s.js";
import { mcpResourceUrl, type Settings } from "../config.js";
import {
  IDS,
  NAMES,
  PORTS,
  objectLabels,
  pinPodSeccomp,
  podLabels,
  resources,
  restrictedContainer,
  restrictedPod,
  mountSecretFiles,
} from "./common.js";
import { SECRET_MOUNTS, mountNeo4jClientFiles, neo4jBoltUri, serviceHost } from "./addresses.js";
import type { DeployValues } from "./deploy-values.js";
import {
  LIMIT_STORE_SECRET_MOUNT,
  configChecksum,
  limitStoreEnv,
  mountsLimitStorePassword,
  serverSettingsEnv,
} from "./mcp-server-env.js";
import { sandboxClientEnv } from "./sandbox.js";

/** ingress-nginx: HTTPS only at the edge, and HTTPS verified against the kit's CA to the pod. */
function ingressAnnotations(settings: Settings): Record<string, string> {
  return {
    "nginx.ingress.kubernetes.io/ssl-redirect": "true",
    "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
    "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS",
    "nginx.ingress.kubernetes.io/proxy-ssl-secret": `${settings.namespace}/${NAMES.ingressClientTls}`,
    "nginx.ingress.kubernetes.io/proxy-ssl-verify": "on",
    "nginx.ingress.kubernetes.io/proxy-ssl-name": serviceHost(NAMES.mcp, settings.namespace),
    "nginx.ingress.kubernetes.io/proxy-ssl-server-name": "on",
    "nginx.ingress.kubernetes.io/proxy-ssl-protocols": "TLSv1.2 TLSv1.3",
  };
}

/** Where the server reads a token's role: the scope claim, and a group mapping when configured. */
function roleSettings(settings: Settings): Record<string, string> {
  const groups: Record<string, string> = settings.authGroupsClaim
    ? {
        AUTH_GROUPS_CLAIM: settings.authGroupsClaim,
        AUTH_GROUP_ROLES: JSON.stringify(
          Object.fromEntries(
            settings.authGroupRoles.map((entry) => [
              entry.slice(0, entry.lastIndexOf("=")),
              entry.slice(entry.lastIndexOf("=") + 1),
            ]),
          ),
        ),
      }
    : {};
  return {
    AUTH_SCOPE_CLAIM: settings.authScopeClaim,
    ...(settings.authRolesClaim ? { AUTH_ROLES_CLAIM: settings.authRolesClaim } : {}),
    ...groups,
  };
}

export class McpServerChart extends Chart {
  constructor(scope: Construct, id: string, settings: Settings, deploy: DeployValues) {
    super(scope, id, { namespace: settings.namespace, labels: objectLabels("mcp-server") });
    const labels = podLabels("mcp-server");

    const config = new kplus.ConfigMap(this, "config", {
      metadata: { name: NAMES.mcpConfig },
      data: {
        NODE_ENV: "production",
        MCP_HOST: "0.0.0.0",
        MCP_PORT: String(PORTS.mcp),
        METRICS_HOST: "0.0.0.0",
        METRICS_PORT: String(PORTS.metrics),
        MCP_RESOURCE_URL: mcpResourceUrl(settings),
        AUTH_ISSUER: settings.authIssuer,
        ...(settings.authJwks
          ? { AUTH_JWKS_FILE: `${SECRET_MOUNTS.jwks}/jwks.json` }
          : { AUTH_JWKS_URL: settings.authJwksUrl as string }),
        ...(settings.authAuthorizationServers.length > 0
          ? { AUTH_AUTHORIZATION_SERVERS: settings.authAuthorizationServers.join(",") }
          : {}),
        ...roleSettings(settings),
        // The ingress controller (and the mesh proxy relaying it) is the one proxy whose
        // X-Forwarded-For names the client; per-source throttles key on that address.
        MCP_TRUSTED_PROXIES: settings.trustedProxyCidrs.join(","),
        NEO4J_URI: neo4jBoltUri(settings.namespace),
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
        ...sandboxClientEnv(settings),
        ...serverSettingsEnv(settings),
        ...limitStoreEnv(settings, `${SECRET_MOUNTS.caBundle}/ca.crt`),
      },
    });
    const jwksData = settings.authJwks ? { "jwks.json": settings.authJwks } : undefined;

    const deployment = new kplus.Deployment(this, "deployment", {
      metadata: { name: NAMES.mcp },
      // No replica count: the HPA owns it, from mcpReplicas up to mcpMaxReplicas.
      select: false,
      spread: false,
      // The settings are read once at start: a changed ConfigMap must roll the pods.
      podMetadata: { labels, annotations: { "checksum/config": configChecksum(config.data, jwksData ?? {}) } },
      automountServiceAccountToken: false,
      serviceAccount: new kplus.ServiceAccount(this, "service-account", {
        metadata: { name: NAMES.mcp },
        automountToken: false,
      }),
      securityContext: restrictedPod(IDS.mcp),
      terminationGracePeriod: Duration.seconds(30),
      containers: [
        {
          name: "mcp-server",
          image: deploy.mcpImage,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          args: settings.imageServerArgs,
          ports: [
            { name: "https", number: PORTS.mcp },
            { name: "metrics", number: PORTS.metrics },
          ],
          envFrom: [kplus.Env.fromConfigMap(config)],
          securityContext: restrictedContainer(IDS.mcp),
          resources: resources(
            settings.mcpCpuRequest,
            settings.mcpCpuLimit,
            settings.mcpMemoryRequest,
            settings.mcpMemoryLimit,
          ),
          startup: kplus.Probe.fromHttpGet("/healthz", {
            port: PORTS.mcp,
            scheme: kplus.ConnectionScheme.HTTPS,
            periodSeconds: Duration.seconds(2),
            failureThreshold: 30,
          }),
          liveness: kplus.Probe.fromHttpGet("/healthz", {
            port: PORTS.mcp,
            scheme: kplus.ConnectionScheme.HTTPS,
            periodSeconds: Duration.seconds(10),
            failureThreshold: 3,
          }),
          readiness: kplus.Probe.fromHttpGet("/readyz", {
            port: PORTS.mcp,
            scheme: kplus.ConnectionScheme.HTTPS,
            periodSeconds: Duration.seconds(5),
            failureThreshold: 2,
          }),
        },
      ],
    });
    deployment.select(kplus.LabelSelector.of({ labels }));
    pinPodSeccomp(deployment, "/spec/template/spec");
    ApiObject.of(deployment).addJsonPatch(
      JsonPatch.add("/spec/template/spec/topologySpreadConstraints", [
        {
          maxSkew: 1,
          topologyKey: "topology.kubernetes.io/zone",
          whenUnsatisfiable: "ScheduleAnyway",
          labelSelector: { matchLabels: labels },
        },
        {
          maxSkew: 1,
          topologyKey: "kubernetes.io/hostname",
          whenUnsatisfiable: "DoNotSchedule",
          labelSelector: { matchLabels: labels },
        },
      ]),
    );

    const container = deployment.containers[0];
    if (!container) throw new Error("the MCP server deployment has no container");
    container.mount("/tmp", kplus.Volume.fromEmptyDir(this, "tmp", "tmp", { sizeLimit: Size.mebibytes(64) }));
    mountNeo4jClientFiles(this, container);
    mountSecretFiles(this, container, SECRET_MOUNTS.serving, "serving-tls", NAMES.mcpTls, {
      "tls.crt": "tls.crt",
      "tls.key": "tls.key",
    });
    if (mountsLimitStorePassword(settings)) {
      mountSecretFiles(this, container, LIMIT_STORE_SECRET_MOUNT, "rate-limit-store", NAMES.limitStoreCredentials, {
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

    const service = new kplus.Service(this, "service", {
      metadata: { name: NAMES.mcp },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [
        { name: "https", port: PORTS.mcp, targetPort: PORTS.mcp },
        { name: "metrics", port: PORTS.metrics, targetPort: PORTS.metrics },
      ],
    });
    for (const [key, value] of Object.entries(labels)) service.selectLabel(key, value);

    new kplus.Ingress(this, "ingress", {
      metadata: {
        name: NAMES.mcp,
        annotations: ingressAnnotations(settings),
      },
      className: settings.ingressClassName,
      tls: [{ hosts: [settings.mcpHost], secret: kplus.Secret.fromSecretName(this, "public-tls", NAMES.publicTls) }],
      rules: [
        {
          host: settings.mcpHost,
          path: "/",
          pathType: kplus.HttpIngressPathType.PREFIX,
          backend: kplus.IngressBackend.fromService(service, { port: PORTS.mcp }),
        },
      ],
    });

    new KubePodDisruptionBudget(this, "pdb", {
      metadata: { name: NAMES.mcp },
      spec: { minAvailable: IntOrString.fromNumber(1), selector: { matchLabels: labels } },
    });

    new kplus.HorizontalPodAutoscaler(this, "hpa", {
      metadata: { name: NAMES.mcp },
      target: deployment,
      minReplicas: settings.mcpReplicas,
      maxReplicas: settings.mcpMaxReplicas,
      metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(70))],
    });
  }
}
