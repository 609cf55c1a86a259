// Neo4j 5.26 Community: one instance (Community has no clustering) in a StatefulSet, hardened
// like the server, writable only where Neo4j writes, Bolt over TLS from a cert-manager
// certificate, no HTTP connector, reachable only inside the namespace (headless Service).
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
import { wholeAmount } from "../quantity.js";
import { neo4jPodFqdn } from "./addresses.js";

const NEO4J_HOME = "/var/lib/neo4j";
const BOLT_TLS_DIR = "/ssl/bolt";

export class Neo4jChart extends Chart {
  constructor(scope: Construct, id: string, settings: Settings) {
    super(scope, id, { namespace: settings.namespace, labels: objectLabels("neo4j") });
    const labels = podLabels("neo4j");

    const service = new kplus.Service(this, "service", {
      metadata: { name: NAMES.neo4j },
      clusterIP: "None",
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: "bolt", port: PORTS.bolt, targetPort: PORTS.bolt }],
    });
    for (const [key, value] of Object.entries(labels)) service.selectLabel(key, value);

    const claim = new kplus.PersistentVolumeClaim(this, "data", {
      metadata: { name: `${NAMES.neo4j}-data` },
      accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
      storage: Size.gibibytes(gibibytes(settings.neo4jStorageSize)),
      storageClassName: settings.neo4jStorageClass,
    });

    const statefulSet = new kplus.StatefulSet(this, "statefulset", {
      metadata: { name: NAMES.neo4j },
      service,
      replicas: 1,
      select: false,
      spread: false,
      podMetadata: { labels },
      automountServiceAccountToken: false,
      serviceAccount: new kplus.ServiceAccount(this, "service-account", {
        metadata: { name: NAMES.neo4j },
        automountToken: false,
      }),
      securityContext: restrictedPod(IDS.neo4j),
      terminationGracePeriod: Duration.seconds(120),
      // The image's entrypoint appends NEO4J_* settings to conf/neo4j.conf, so conf must be
      // writable; it starts as a copy of the image's own files.
      initContainers: [
        {
          name: "copy-conf",
          image: settings.neo4jImage,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          command: ["cp", "-R", `${NEO4J_HOME}/conf/.`, "/writable-conf/"],
          securityContext: restrictedContainer(IDS.neo4j),
          resources: resources("50m", "200m", "64Mi", "128Mi"),
        },
      ],
      containers: [
        {
          name: "neo4j",
          image: settings.neo4jImage,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          ports: [{ name: "bolt", number: PORTS.bolt }],
          envVariables: neo4jEnvironment(settings),
          securityContext: restrictedContainer(IDS.neo4j),
          resources: resources(
            settings.neo4jCpuRequest,
            settings.neo4jCpuLimit,
            settings.neo4jMemoryRequest,
            settings.neo4jMemoryLimit,
          ),
          startup: kplus.Probe.fromTcpSocket({
            port: PORTS.bolt,
            periodSeconds: Duration.seconds(5),
            failureThreshold: 60,
          }),
          liveness: kplus.Probe.fromTcpSocket({
            port: PORTS.bolt,
            periodSeconds: Duration.seconds(15),
            failureThreshold: 4,
          }),
          readiness: kplus.Probe.fromTcpSocket({
            port: PORTS.bolt,
            periodSeconds: Duration.seconds(5),
            failureThreshold: 2,
          }),
        },
      ],
    });
    statefulSet.select(kplus.LabelSelector.of({ labels }));
    pinPodSeccomp(statefulSet, "/spec/template/spec");

    const [neo4j] = statefulSet.containers;
    const [copyConf] = statefulSet.initContainers;
    if (!neo4j || !copyConf) throw new Error("the Neo4j statefulset lost a container");
    const conf = kplus.Volume.fromEmptyDir(this, "conf", "conf", { sizeLimit: Size.mebibytes(16) });
    copyConf.mount("/writable-conf", conf);
    neo4j.mount(`${NEO4J_HOME}/conf`, conf);
    neo4j.mount("/data", kplus.Volume.fromPersistentVolumeClaim(this, "data-volume", claim, { name: "data" }));
    neo4j.mount("/logs", kplus.Volume.fromEmptyDir(this, "logs", "logs", { sizeLimit: Size.gibibytes(1) }));
    neo4j.mount(`${NEO4J_HOME}/run`, kplus.Volume.fromEmptyDir(this, "run", "run", { sizeLimit: Size.mebibytes(16) }));
    neo4j.mount("/tmp", kplus.Volume.fromEmptyDir(this, "tmp", "tmp", { sizeLimit: Size.mebibytes(256) }));
    mountSecretFiles(this, neo4j, "/run/secrets/neo4j", "credentials", NAMES.neo4jCredentials, { auth: "auth" });
    mountSecretFiles(this, neo4j, BOLT_TLS_DIR, "bolt-tls", NAMES.neo4jTls, {
      "tls.crt": "public.crt",
      "tls.key": "private.key",
    });
  }
}

function neo4jEnvironment(settings: Settings): Record<string, kplus.EnvValue> {
  // Half the container's memory for the heap, the rest for page cache and the JVM itself.
  const heap = `${Math.floor(mebibytes(settings.neo4jMemoryLimit) / 2)}m`;
  const values: Record<string, string> = {
    // "neo4j/<password>", written by the stack into the Secret; never in an env var.
    NEO4J_AUTH_PATH: "/run/secrets/neo4j/auth",
    NEO4J_server_default__listen__address: "0.0.0.0",
    NEO4J_server_default__advertised__address: neo4jPodFqdn(settings.namespace),
    NEO4J_server_http_enabled: "false",
    NEO4J_server_https_enabled: "false",
    NEO4J_server_bolt_tls__level: "REQUIRED",
    NEO4J_dbms_ssl_policy_bolt_enabled: "true",
    NEO4J_dbms_ssl_policy_bolt_base__directory: BOLT_TLS_DIR,
    NEO4J_dbms_ssl_policy_bolt_private__key: "private.key",
    NEO4J_dbms_ssl_policy_bolt_public__certificate: "public.crt",
    NEO4J_dbms_ssl_policy_bolt_client__auth: "NONE",
    NEO4J_dbms_ssl_policy_bolt_tls__versions: "TLSv1.3,TLSv1.2",
    NEO4J_dbms_usage__report_enabled: "false",
    NEO4J_server_directories_run: `${NEO4J_HOME}/run`,
    NEO4J_server_memory_heap_max__size: heap,
    NEO4J_server_memory_heap_initial__size: heap,
    NEO4J_server_memory_pagecache_size: `${Math.floor(mebibytes(settings.neo4jMemoryLimit) / 4)}m`,
  };
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, kplus.EnvValue.fromValue(value)]));
}

function mebibytes(quantity: string): number {
  return wholeAmount(quantity, ["Mi", "Gi"], "neo4jMemoryLimit", 2 ** 20);
}

function gibibytes(quantity: string): number {
  return wholeAmount(quantity, ["Gi", "Ti"], "neo4jStorageSize", 2 ** 30);
}
