// The local platform's stand-in for S3: one MinIO in the kit's namespace, hardened like the
// rest, reachable only by the backup job (NetworkPolicy and, with the mesh, Linkerd policy).
import { Chart, Duration, Size } from "cdk8s";
import type { Construct } from "constructs";
import * as kplus from "cdk8s-plus-28";
import {
  IDS,
  NAMES,
  PORTS,
  clusterService,
  mountSecretFiles,
  objectLabels,
  podLabels,
  resources,
  restrictedContainer,
  restrictedWorkload,
  selectPods,
} from "./common.js";
import { SECRET_MOUNTS } from "./addresses.js";

export interface ObjectStoreProps {
  /** The kit's namespace. */
  readonly namespace: string;
  /** The MinIO image, by digest. */
  readonly image: string;
  /** The storage class of the store's 20Gi volume. */
  readonly storageClass: string;
}

export class ObjectStoreChart extends Chart {
  constructor(scope: Construct, id: string, props: ObjectStoreProps) {
    super(scope, id, { namespace: props.namespace, labels: objectLabels("object-store") });
    const labels = podLabels("object-store");

    const claim = new kplus.PersistentVolumeClaim(this, "data", {
      metadata: { name: `${NAMES.objectStore}-data` },
      accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
      storage: Size.gibibytes(20),
      storageClassName: props.storageClass,
    });

    const deployment = new kplus.Deployment(this, "deployment", {
      ...restrictedWorkload(this, NAMES.objectStore, IDS.objectStore, { labels }),
      replicas: 1,
      strategy: kplus.DeploymentStrategy.recreate(),
      containers: [
        restrictedContainer(IDS.objectStore, {
          name: "minio",
          image: props.image,
          args: ["server", "/data", "--address", `:${PORTS.objectStore}`],
          ports: [{ name: "s3", number: PORTS.objectStore }],
          envVariables: {
            MINIO_ROOT_USER_FILE: kplus.EnvValue.fromValue(`${SECRET_MOUNTS.minio}/access-key-id`),
            MINIO_ROOT_PASSWORD_FILE: kplus.EnvValue.fromValue(`${SECRET_MOUNTS.minio}/secret-access-key`),
            MINIO_BROWSER: kplus.EnvValue.fromValue("off"),
            MINIO_CONFIG_ENV_FILE: kplus.EnvValue.fromValue(""),
          },
          resources: resources({ cpuRequest: "100m", cpuLimit: "1", memoryRequest: "256Mi", memoryLimit: "1Gi" }),
          liveness: kplus.Probe.fromHttpGet("/minio/health/live", {
            port: PORTS.objectStore,
            periodSeconds: Duration.seconds(15),
          }),
          readiness: kplus.Probe.fromHttpGet("/minio/health/ready", {
            port: PORTS.objectStore,
            periodSeconds: Duration.seconds(5),
          }),
          startup: kplus.Probe.fromHttpGet("/minio/health/live", {
            port: PORTS.objectStore,
            periodSeconds: Duration.seconds(2),
            failureThreshold: 30,
          }),
        }),
      ],
    });
    selectPods(deployment, labels);

    const [container] = deployment.containers;
    if (!container) throw new Error("the object store deployment has no container");
    container.mount("/data", kplus.Volume.fromPersistentVolumeClaim(this, "data-volume", claim, { name: "data" }));
    container.mount("/tmp", kplus.Volume.fromEmptyDir(this, "tmp", "tmp", { sizeLimit: Size.mebibytes(256) }));
    container.mount("/.minio", kplus.Volume.fromEmptyDir(this, "home", "home", { sizeLimit: Size.mebibytes(16) }));
    mountSecretFiles(this, container, SECRET_MOUNTS.minio, "credentials", NAMES.objectStoreCredentials);

    clusterService(this, NAMES.objectStore, labels, [{ name: "s3", port: PORTS.objectStore }]);
  }
}
