// run_python's sandbox: a Deployment of its own running the server's image as `dist/main.js
// sandbox`. Its pods hold nothing worth stealing: no Secret, no service account token, no
// credentials in the environment, a read-only root and only an emptyDir for the workers' empty
// working directories. They are outside the mesh (a meshed pod carries a token for its proxy's
// identity); the NetworkPolicies admit only the MCP server to the sandbox port and let the pods
// reach nothing, not even DNS.
import { ApiObject, Chart, Duration, JsonPatch, Size } from "cdk8s";
import type { Construct } from "constructs";
import * as kplus from "cdk8s-plus-28";
import { IntOrString, KubePodDisruptionBudget } from "cdk8s-plus-28/lib/imports/k8s.js";
import type { Settings } from "../config.js";
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
} from "./common.js";
import { sandboxUrl } from "./addresses.js";
import type { DeployValues } from "./deploy-values.js";

/** The limits both sides hold: the sandbox pod for each program, the MCP server per user. */
function sharedLimits(settings: Settings): Record<string, string> {
  return {
    SANDBOX_MAX_TIME_MS: String(settings.sandboxMaxTimeMs),
    SANDBOX_DEFAULT_TIME_MS: String(Math.min(5_000, settings.sandboxMaxTimeMs)),
    SANDBOX_MEMORY_MB: String(settings.sandboxMemoryMiB),
    SANDBOX_STRICT: String(settings.sandboxStrict),
  };
}

/** What the MCP server's ConfigMap adds: where the sandbox is and the limits it announces. */
export function sandboxClientEnv(settings: Settings): Record<string, string> {
  if (!settings.sandboxEnabled) return {};
  return {
    SANDBOX_URL: sandboxUrl(settings.namespace),
    SANDBOX_MAX_PER_USER: String(settings.sandboxMaxPerUser),
    ...sharedLimits(settings),
  };
}

export class SandboxChart extends Chart {
  constructor(scope: Construct, id: string, settings: Settings, deploy: DeployValues) {
    super(scope, id, { namespace: settings.namespace, labels: objectLabels("sandbox") });
    const labels = podLabels("sandbox");
    const config = new kplus.ConfigMap(this, "config", {
      metadata: { name: NAMES.sandboxConfig },
      data: {
        NODE_ENV: "production",
        SANDBOX_HOST: "0.0.0.0",
        SANDBOX_PORT: String(PORTS.sandbox),
        SANDBOX_POOL_SIZE: String(settings.sandboxPoolSize),
        SANDBOX_MAX_CONCURRENT: String(settings.sandboxMaxConcurrent),
        // A container may not make namespaces; the pod's NetworkPolicies deny its network instead.
        SANDBOX_NETWORK_ISOLATION: "network-policy",
        ...sharedLimits(settings),
      },
    });
    const deployment = new kplus.Deployment(this, "deployment", {
      metadata: { name: NAMES.sandbox },
      replicas: settings.sandboxReplicas,
      select: false,
      spread: false,
      podMetadata: { labels, annotations: { "linkerd.io/inject": "disabled" } },
      automountServiceAccountToken: false,
      serviceAccount: new kplus.ServiceAccount(this, "service-account", {
        metadata: { name: NAMES.sandbox },
        automountToken: false,
      }),
      securityContext: restrictedPod(IDS.sandbox),
      terminationGracePeriod: Duration.seconds(15),
      containers: [
        {
          name: "sandbox",
          image: deploy.mcpImage,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          args: [...settings.imageServerArgs.slice(0, 1), "sandbox"],
          ports: [{ name: "http", number: PORTS.sandbox }],
          envFrom: [kplus.Env.fromConfigMap(config)],
          securityContext: restrictedContainer(IDS.sandbox),
          resources: resources(
            settings.sandboxCpuRequest,
            settings.sandboxCpuLimit,
            settings.sandboxMemoryRequest,
            settings.sandboxMemoryLimit,
          ),
          startup: kplus.Probe.fromHttpGet("/healthz", {
            port: PORTS.sandbox,
            periodSeconds: Duration.seconds(2),
            failureThreshold: 30,
          }),
          liveness: kplus.Probe.fromHttpGet("/healthz", {
            port: PORTS.sandbox,
            periodSeconds: Duration.seconds(10),
            failureThreshold: 3,
          }),
          readiness: kplus.Probe.fromHttpGet("/readyz", {
            port: PORTS.sandbox,
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
          topologyKey: "kubernetes.io/hostname",
          whenUnsatisfiable: "ScheduleAnyway",
          labelSelector: { matchLabels: labels },
        },
      ]),
    );
    const container = deployment.containers[0];
    if (!container) throw new Error("the sandbox deployment has no container");
    container.mount("/tmp", kplus.Volume.fromEmptyDir(this, "tmp", "tmp", { sizeLimit: Size.mebibytes(16) }));

    const service = new kplus.Service(this, "service", {
      metadata: { name: NAMES.sandbox },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: "http", port: PORTS.sandbox, targetPort: PORTS.sandbox }],
    });
    for (const [key, value] of Object.entries(labels)) service.selectLabel(key, value);

    if (settings.sandboxReplicas > 1) {
      new KubePodDisruptionBudget(this, "pdb", {
        metadata: { name: NAMES.sandbox },
        spec: { minAvailable: IntOrString.fromNumber(1), selector: { matchLabels: labels } },
      });
    }
  }
}
