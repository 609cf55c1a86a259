// Neo4j 5.26 Community: one instance (Community has no clustering) in a StatefulSet, hardened
// like the server, writable only where Neo4j writes, Bolt over TLS from a cert-manager
// certificate, no HTTP connector, reachable only inside the namespace (headless Service).
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
  type ResourceProps,
} from "./common.js";
import { wholeAmount } from "../quantity.js";
import { neo4jPodFqdn } from "./addresses.js";

const NEO4J_HOME = "/var/lib/neo4j";
const BOLT_TLS_DIR = "/ssl/bolt";

export interface Neo4jProps {
  /** The kit's namespace: it names the pod Neo4j advertises to clients. */
  readonly namespace: string;
  /** The Neo4j 5.26 Community image, by digest. */
  readonly image: string;
  /** The storage class of the data volume. */
  readonly storageClass: string;
  /**
   * The data volume's size, a whole number of Gi or Ti.
   * @default "20Gi"
   */
  readonly storageSize?: string;
  /**
   * The container's CPU and memory; half the memory limit is the heap, a quarter the page cache.
   * @default { cpuRequest: "500m", cpuLimit: "2", memoryRequest: "2Gi", memoryLimit: "2Gi" }
   */
  readonly resources?: ResourceProps;
}

const DEFAULT_RESOURCES: ResourceProps = {
  cpuRequest: "500m",
  cpuLimit: "2",
  memoryRequest: "2Gi",
  memoryLimit: "2Gi",
};

export class Neo4jChart extends Chart {
  constructor(scope: Construct, id: string, props: Neo4jProps) {
    super(scope, id, { namespace: props.namespace, labels: objectLabels("neo4j") });
    const labels = podLabels("neo4j");
    const limits = props.resources ?? DEFAULT_RESOURCES;

    const service = clusterService(this, NAMES.neo4j, labels, [{ name: "bolt", port: PORTS.bolt }], {
      headless: true,
    });

    const claim = new kplus.PersistentVolumeClaim(this, "data", {
      metadata: { name: `${NAMES.neo4j}-data` },
      accessModes: [kplus.PersistentVolumeAccessMode.READ_WRITE_ONCE],
      storage: Size.gibibytes(gibibytes(props.storageSize ?? "20Gi")),
      storageClassName: props.storageClass,
    });

    const statefulSet = new kplus.StatefulSet(this, "statefulset", {
      ...restrictedWorkload(this, NAMES.neo4j, IDS.neo4j, { labels }),
      service,
      replicas: 1,
      terminationGracePeriod: Duration.seconds(120),
      // The image's entrypoint appends NEO4J_* settings to conf/neo4j.conf, so conf must be
      // writable; it starts as a copy of the image's own files.
      initContainers: [
        restrictedContainer(IDS.neo4j, {
          name: "copy-conf",
          image: props.image,
          command: ["cp", "-R", `${NEO4J_HOME}/conf/.`, "/writable-conf/"],
          resources: resources({ cpuRequest: "50m", cpuLimit: "200m", memoryRequest: "64Mi", memoryLimit: "128Mi" }),
        }),
      ],
      containers: [
        restrictedContainer(IDS.neo4j, {
          name: "neo4j",
          image: props.image,
          ports: [{ name: "bolt", number: PORTS.bolt }],
          envVariables: neo4jEnvironment(props.namespace, limits.memoryLimit),
          resources: resources(limits),
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
        }),
      ],
    });
    selectPods(statefulSet, labels);

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

function neo4jEnvironment(namespace: string, memoryLimit: string): Record<string, kplus.EnvValue> {
  // Half the container's memory for the heap, the rest for page cache and the JVM itself.
  const heap = `${Math.floor(mebibytes(memoryLimit) / 2)}m`;
  const values: Record<string, string> = {
    // "neo4j/<password>", written by the stack into the Secret; never in an env var.
    NEO4J_AUTH_PATH: "/run/secrets/neo4j/auth",
    NEO4J_server_default__listen__address: "0.0.0.0",
    NEO4J_server_default__advertised__address: neo4jPodFqdn(namespace),
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
    NEO4J_server_memory_pagecache_size: `${Math.floor(mebibytes(memoryLimit) / 4)}m`,
  };
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, kplus.EnvValue.fromValue(value)]));
}

function mebibytes(quantity: string): number {
  return wholeAmount(quantity, ["Mi", "Gi"], "neo4jMemoryLimit", 2 ** 20);
}

function gibibytes(quantity: string): number {
  return wholeAmount(quantity, ["Gi", "Ti"], "neo4jStorageSize", 2 ** 30);
}
