// run_python's sandbox: a Deployment of its own running the server's image as `dist/main.js
// sandbox`. Its pods hold nothing worth stealing: no Secret, no service account token, no
// credentials in the environment, a read-only root and only an emptyDir for the workers' empty
// working directories. They are outside the mesh (a meshed pod carries a token for its proxy's
// identity); the NetworkPolicies admit only the MCP server to the sandbox port and let the pods
// reach nothing, not even DNS.
import { Chart, Duration, Size } from "cdk8s";
import type { Construct } from "constructs";
import * as kplus from "cdk8s-plus-28";
import {
  IDS,
  NAMES,
  PORTS,
  clusterService,
  healthProbes,
  keepOnePod,
  objectLabels,
  podLabels,
  resources,
  restrictedContainer,
  restrictedWorkload,
  sandboxLimitsEnv,
  selectPods,
  spreadPods,
  type ResourceProps,
  type SandboxLimits,
} from "./common.js";

export interface SandboxProps {
  /** The kit's namespace. */
  readonly namespace: string;
  /** The MCP server's image, by digest: the sandbox is its `sandbox` command. */
  readonly image: string;
  /**
   * The image's entry script, which the `sandbox` argument follows.
   * @default "dist/main.js"
   */
  readonly entryScript?: string;
  /**
   * Sandbox pods, each with its own warm pool; above one, a PDB keeps one up.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * Each pod's CPU and memory; the memory limit must hold the pool's peak.
   * @default { cpuRequest: "500m", cpuLimit: "2", memoryRequest: "1Gi", memoryLimit: "2Gi" }
   */
  readonly resources?: ResourceProps;
  /**
   * Warm interpreters each pod keeps booted.
   * @default 2
   */
  readonly poolSize?: number;
  /**
   * Programs each pod runs at once; past it a call is refused, not queued.
   * @default 2
   */
  readonly maxConcurrent?: number;
  /** What one program may use (the MCP server announces the same limits). */
  readonly limits: SandboxLimits;
}

const DEFAULT_RESOURCES: ResourceProps = {
  cpuRequest: "500m",
  cpuLimit: "2",
  memoryRequest: "1Gi",
  memoryLimit: "2Gi",
};

export class SandboxChart extends Chart {
  constructor(scope: Construct, id: string, props: SandboxProps) {
    super(scope, id, { namespace: props.namespace, labels: objectLabels("sandbox") });
    const labels = podLabels("sandbox");
    const replicas = props.replicas ?? 2;
    const config = new kplus.ConfigMap(this, "config", {
      metadata: { name: NAMES.sandboxConfig },
      data: {
        NODE_ENV: "production",
        SANDBOX_HOST: "0.0.0.0",
        SANDBOX_PORT: String(PORTS.sandbox),
        SANDBOX_POOL_SIZE: String(props.poolSize ?? 2),
        SANDBOX_MAX_CONCURRENT: String(props.maxConcurrent ?? 2),
        // A container may not make namespaces; the pod's NetworkPolicies deny its network instead.
        SANDBOX_NETWORK_ISOLATION: "network-policy",
        ...sandboxLimitsEnv(props.limits),
      },
    });
    const deployment = new kplus.Deployment(this, "deployment", {
      ...restrictedWorkload(this, NAMES.sandbox, IDS.sandbox, {
        labels,
        annotations: { "linkerd.io/inject": "disabled" },
      }),
      replicas,
      terminationGracePeriod: Duration.seconds(15),
      containers: [
        restrictedContainer(IDS.sandbox, {
          name: "sandbox",
          image: props.image,
          args: [props.entryScript ?? "dist/main.js", "sandbox"],
          ports: [{ name: "http", number: PORTS.sandbox }],
          envFrom: [kplus.Env.fromConfigMap(config)],
          resources: resources(props.resources ?? DEFAULT_RESOURCES),
          ...healthProbes(PORTS.sandbox),
        }),
      ],
    });
    selectPods(deployment, labels);
    spreadPods(deployment, labels, { "kubernetes.io/hostname": "ScheduleAnyway" });
    const container = deployment.containers[0];
    if (!container) throw new Error("the sandbox deployment has no container");
    container.mount("/tmp", kplus.Volume.fromEmptyDir(this, "tmp", "tmp", { sizeLimit: Size.mebibytes(16) }));

    clusterService(this, NAMES.sandbox, labels, [{ name: "http", port: PORTS.sandbox }]);
    if (replicas > 1) keepOnePod(this, NAMES.sandbox, labels);
  }
}
