// The local platform's stand-in for S3: one MinIO in the kit's namespace, hardened like the
// rest, reachable only by the backup job (NetworkPolicy and, with the mesh, Linkerd policy).
import { Chart, Duration, Size } from "cdk8s";
import type { Construct } from "constructs";
import * as kplus from "cdk8s-plus-28";
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
  mountSecretFiles,
} from "./common.js";
import { SECRET_MOUNTS } from "./addresses.js";

export class ObjectStoreChart extends Chart {
  constructor(scope: Construct, id: string, settings: Settings) {
    super(scope, id, { namespace: settings.namespace, labels: objectLabels("object-store") });
    const labels = podLabels("object-store");

    const claim = new kplus.PersistentVolumeClaim(this, "data", {
      metadata: { name: `${NAMES.objectStore}-data` },
      accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
      storage: Size.gibibytes(20),
      storageClassName: settings.neo4jStorageClass,
    });

    const deployment = new kplus.Deployment(this, "deployment", {
      metadata: { name: NAMES.objectStore },
      replicas: 1,
      strategy: kplus.DeploymentStrategy.recreate(),
      select: false,
      spread: false,
      podMetadata: { labels },
      automountServiceAccountToken: false,
      serviceAccount: new kplus.ServiceAccount(this, "service-account", {
        metadata: { name: NAMES.objectStore },
        automountToken: false,
      }),
      securityContext: restrictedPod(IDS.objectStore),
      containers: [
        {
          name: "minio",
          image: settings.minioImage,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          args: ["server", "/data", "--address", `:${PORTS.objectStore}`],
          ports: [{ name: "s3", number: PORTS.objectStore }],
          envVariables: {
            MINIO_ROOT_USER_FILE: kplus.EnvValue.fromValue(`${SECRET_MOUNTS.minio}/access-key-id`),
            MINIO_ROOT_PASSWORD_FILE: kplus.EnvValue.fromValue(`${SECRET_MOUNTS.minio}/secret-access-key`),
            MINIO_BROWSER: kplus.EnvValue.fromValue("off"),
            MINIO_CONFIG_ENV_FILE: kplus.EnvValue.fromValue(""),
          },
          securityContext: restrictedContainer(IDS.objectStore),
          resources: resources("100m", "1", "256Mi", "1Gi"),
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
        },
      ],
    });
    deployment.select(kplus.LabelSelector.of({ labels }));
    pinPodSeccomp(deployment, "/spec/template/spec");

    const [container] = deployment.containers;
    if (!container) throw new Error("the object store deployment has no container");
    container.mount("/data", kplus.Volume.fromPersistentVolumeClaim(this, "data-volume", claim, { name: "data" }));
    container.mount("/tmp", kplus.Volume.fromEmptyDir(this, "tmp", "tmp", { sizeLimit: Size.mebibytes(256) }));
    container.mount("/.minio", kplus.Volume.fromEmptyDir(this, "home", "home", { sizeLimit: Size.mebibytes(16) }));
    mountSecretFiles(this, container, SECRET_MOUNTS.minio, "credentials", NAMES.objectStoreCredentials);

    const service = new kplus.Service(this, "service", {
      metadata: { name: NAMES.objectStore },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: "s3", port: PORTS.objectStore, targetPort: PORTS.objectStore }],
    });
    for (const [key, value] of Object.entries(labels)) service.selectLabel(key, value);
  }
}
