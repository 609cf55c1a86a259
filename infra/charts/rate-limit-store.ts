// The shared rate-limit store (rateLimitStore valkey): one Valkey in a StatefulSet, hardened
// like the rest, TLS only (a cert-manager certificate it re-reads on rotation), a password from
// a Secret, no persistence (a lost bucket refills, which only ever allows a little more), and
// reachable only by the MCP pods (NetworkPolicy and, with the mesh, Linkerd policy).
import { Chart, Duration, Size } from "cdk8s";
import type { Construct } from "constructs";
import * as kplus from "cdk8s-plus-28";
import type { Settings } from "../config.js";
import {
  IDS,
  NAMES,
  PORTS,
  mountSecretFiles,
  objectLabels,
  pinPodSeccomp,
  podLabels,
  resources,
  restrictedContainer,
  restrictedPod,
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

/** Host names the store's certificate covers (the Service, however addressed). */
export function valkeyDnsNames(settings: Settings): string[] {
  const service = `${NAMES.valkey}.${settings.namespace}.svc`;
  return [service, `${service}.cluster.local`];
}

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

export class RateLimitStoreChart extends Chart {
  constructor(scope: Construct, id: string, settings: Settings) {
    super(scope, id, { namespace: settings.namespace, labels: objectLabels("rate-limit-store") });
    const labels = podLabels("rate-limit-store");
    if (!settings.valkeyImage) throw new Error("rateLimitStore valkey needs valkeyImage");

    const service = new kplus.Service(this, "service", {
      metadata: { name: NAMES.valkey },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: "valkey-tls", port: PORTS.valkey, targetPort: PORTS.valkey }],
    });
    for (const [key, value] of Object.entries(labels)) service.selectLabel(key, value);

    const statefulSet = new kplus.StatefulSet(this, "statefulset", {
      metadata: { name: NAMES.valkey },
      service,
      replicas: 1,
      select: false,
      spread: false,
      podMetadata: { labels },
      automountServiceAccountToken: false,
      serviceAccount: new kplus.ServiceAccount(this, "service-account", {
        metadata: { name: NAMES.valkey },
        automountToken: false,
      }),
      securityContext: restrictedPod(IDS.valkey),
      terminationGracePeriod: Duration.seconds(10),
      containers: [
        {
          name: "valkey",
          image: settings.valkeyImage,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          // Valkey does not reload a renewed certificate: the copy it started with is kept, and
          // the liveness probe restarts the container once cert-manager has rotated the file
          // (renewal is 8 h before expiry, so the served certificate never expires).
          command: ["sh", "-c", `cp ${TLS_DIR}/tls.crt ${LOADED_CERT} && exec valkey-server "$@"`, "valkey-server"],
          args: valkeyArgs(),
          ports: [{ name: "valkey-tls", number: PORTS.valkey }],
          securityContext: restrictedContainer(IDS.valkey),
          resources: resources("50m", "500m", "128Mi", "256Mi"),
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
        },
      ],
    });
    statefulSet.select(kplus.LabelSelector.of({ labels }));
    pinPodSeccomp(statefulSet, "/spec/template/spec");

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
