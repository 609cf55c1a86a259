// The shared rate-limit store (rateLimitStore valkey): one Valkey in a StatefulSet, hardened
// like the rest, TLS only (a cert-manager certificate it re-reads on rotation), a password from
// a Secret, no persistence (a lost bucket refills, which only ever allows a little more), and
// reachable only by the MCP pods (NetworkPolicy and, with the mesh, Linkerd policy).
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

const TLS_DIR = "/tls";
const AUTH_DIR = "/etc/valkey-auth";
const RUN_DIR = "/run/valkey";
/** The certificate valkey-server loaded at start (it never re-reads its files). */
const LOADED_CERT = `${RUN_DIR}/serving.crt`;

/**
 * The store's one user, as a line of its config file: the password, every key, and no admin or
 * dangerous command (no CONFIG, FLUSHALL, KEYS, DEBUG ...); the rate-limit script needs none.
 */
export const valkeyAclLine = (password: string): string =>
  `user default on >${password} ~* &* +@all -@dangerous -@admin\n`;

/** valkey-server's arguments: TLS only, no plain port, no disk, memory bounded, the ACL from the Secret. */
export function valkeyArgs(): string[] {
  return [
    `${AUTH_DIR}/valkey.conf`,
    "--port",
    "0",
    "--tls-port",
    String(PORTS.valkey),
    "--tls-cert-file",
    `${TLS_DIR}/tls.crt`,
    "--tls-key-file",
    `${TLS_DIR}/tls.key`,
    "--tls-ca-cert-file",
    `${TLS_DIR}/ca.crt`,
    // Clients prove themselves with the password; the server's certificate proves the store.
    "--tls-auth-clients",
    "no",
    "--tls-protocols",
    "TLSv1.2 TLSv1.3",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/data",
    "--maxmemory",
    "200mb",
    // Buckets carry a TTL: under pressure the soonest to expire go first, never a random one.
    "--maxmemory-policy",
    "volatile-ttl",
    "--protected-mode",
    "yes",
  ];
}

export interface RateLimitStoreProps {
  /** The kit's namespace. */
  readonly namespace: string;
  /** The Valkey image, by digest. */
  readonly image: string;
}

export class RateLimitStoreChart extends Chart {
  constructor(scope: Construct, id: string, props: RateLimitStoreProps) {
    super(scope, id, { namespace: props.namespace, labels: objectLabels("rate-limit-store") });
    const labels = podLabels("rate-limit-store");

    const service = clusterService(this, NAMES.valkey, labels, [{ name: "valkey-tls", port: PORTS.valkey }]);
    const statefulSet = new kplus.StatefulSet(this, "statefulset", {
      ...restrictedWorkload(this, NAMES.valkey, IDS.valkey, { labels }),
      service,
      replicas: 1,
      terminationGracePeriod: Duration.seconds(10),
      containers: [
        restrictedContainer(IDS.valkey, {
          name: "valkey",
          image: props.image,
          // Valkey does not reload a renewed certificate: the copy it started with is kept, and
          // the liveness probe restarts the container once cert-manager has rotated the file
          // (renewal is 8 h before expiry, so the served certificate never expires).
          command: ["sh", "-c", `cp ${TLS_DIR}/tls.crt ${LOADED_CERT} && exec valkey-server "$@"`, "valkey-server"],
          args: valkeyArgs(),
          ports: [{ name: "valkey-tls", number: PORTS.valkey }],
          resources: resources({ cpuRequest: "50m", cpuLimit: "500m", memoryRequest: "128Mi", memoryLimit: "256Mi" }),
          startup: kplus.Probe.fromTcpSocket({
            port: PORTS.valkey,
            periodSeconds: Duration.seconds(2),
            failureThreshold: 30,
          }),
          liveness: kplus.Probe.fromCommand(["cmp", "-s", `${TLS_DIR}/tls.crt`, LOADED_CERT], {
            periodSeconds: Duration.seconds(30),
            failureThreshold: 2,
          }),
          readiness: kplus.Probe.fromTcpSocket({
            port: PORTS.valkey,
            periodSeconds: Duration.seconds(5),
            failureThreshold: 2,
          }),
        }),
      ],
    });
    selectPods(statefulSet, labels);

    const [valkey] = statefulSet.containers;
    if (!valkey) throw new Error("the Valkey statefulset has no container");
    valkey.mount("/data", kplus.Volume.fromEmptyDir(this, "data", "data", { sizeLimit: Size.mebibytes(16) }));
    valkey.mount(RUN_DIR, kplus.Volume.fromEmptyDir(this, "run", "run", { sizeLimit: Size.mebibytes(1) }));
    mountSecretFiles(this, valkey, AUTH_DIR, "auth", NAMES.limitStoreCredentials, { "valkey.conf": "valkey.conf" });
    mountSecretFiles(this, valkey, TLS_DIR, "tls", NAMES.valkeyTls, {
      "tls.crt": "tls.crt",
      "tls.key": "tls.key",
      "ca.crt": "ca.crt",
    });
  }
}
