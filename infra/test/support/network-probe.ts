// What the node's NetworkPolicy enforcement lets through, measured by pods, beside what the
// kit's flow table (allowedFlows) says it should: a probe pod with chosen labels runs nc and
// nslookup against targets and prints one line per check.
import type { CoreV1Api, V1Pod } from "@kubernetes/client-node";
import { networkPolicyProps } from "../../charts/index.js";
import { allowedFlows } from "../../charts/network-policies.js";
import type { Settings } from "../../config.js";
import { until } from "../../../scripts/dev-services/polling.js";

export interface TcpTarget {
  name: string;
  /** The target pod's labels and namespace, as the policies select it. */
  labels: Record<string, string>;
  namespace: string;
  address: string;
  port: number;
}

type Peer = {
  podSelector?: { matchLabels?: Record<string, string> };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  ipBlock?: unknown;
};
type Rule = {
  to?: Peer[];
  from?: Peer[];
  ports: Array<{ protocol?: string; port?: { value?: unknown } | number | string }>;
};

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);
const NAMESPACE_NAME = "kubernetes.io/metadata.name";

function peerMatches(peer: Peer, labels: Record<string, string>, namespace: string, ownNamespace: string): boolean {
  if (peer.ipBlock) return false;
  const namespaceOk = peer.namespaceSelector
    ? matches(peer.namespaceSelector.matchLabels, { [NAMESPACE_NAME]: namespace })
    : namespace === ownNamespace;
  const podOk = peer.podSelector ? matches(peer.podSelector.matchLabels, labels) : true;
  return namespaceOk && podOk;
}

const portOf = (entry: Rule["ports"][number]) => Number(typeof entry.port === "object" ? entry.port.value : entry.port);

/** Whether the kit's flow table allows a TCP connection from a pod with `source` labels in the kit's namespace to `target`. */
export function intendedTcp(settings: Settings, source: Record<string, string>, target: TcpTarget): boolean {
  const kit = settings.namespace;
  const selects = (flow: ReturnType<typeof allowedFlows>[number], labels: Record<string, string>) =>
    flow.selects
      ? labels["app.kubernetes.io/name"] === flow.selects
      : !(flow.except ?? []).includes(labels["app.kubernetes.io/name"] as never);
  const allows = (rules: Rule[] | undefined, peers: "to" | "from", labels: Record<string, string>, namespace: string) =>
    (rules ?? []).some(
      (rule) =>
        (rule[peers] ?? []).some((peer) => peerMatches(peer, labels, namespace, kit)) &&
        rule.ports.some((entry) => (entry.protocol ?? "TCP") === "TCP" && portOf(entry) === target.port),
    );
  const flows = allowedFlows(networkPolicyProps(settings));
  const egress = flows.some(
    (flow) => selects(flow, source) && allows(flow.egress as Rule[] | undefined, "to", target.labels, target.namespace),
  );
  // Only the kit's namespace has policies; a target elsewhere accepts what reaches it.
  const ingress =
    target.namespace !== kit ||
    flows.some(
      (flow) => selects(flow, target.labels) && allows(flow.ingress as Rule[] | undefined, "from", source, kit),
    );
  return egress && ingress;
}

/** How long each check of a probe pod is tried. */
const PROBE_WINDOW_SECONDS = 15;

/** Runs a probe pod with `labels` and returns each check's outcome (true: connected / resolved). */
export async function probeFrom(
  core: CoreV1Api,
  namespace: string,
  name: string,
  labels: Record<string, string>,
  image: string,
  checks: Record<string, string>,
): Promise<Record<string, boolean>> {
  // Each check is tried for PROBE_WINDOW_SECONDS, all at once: a new pod's first packets can come
  // before the policy controller has added it to the sets the policies match. A flow the policies
  // allow must connect within the window; one they deny must stay refused for all of it.
  const script = [
    ...Object.entries(checks).map(
      ([check, command]) =>
        `(end=$(( $(/bin/busybox date +%s) + ${PROBE_WINDOW_SECONDS} )); ` +
        `until ${command} >/dev/null 2>&1; do ` +
        `if [ "$(/bin/busybox date +%s)" -ge "$end" ]; then echo "RESULT ${check} no"; exit 0; fi; /bin/busybox sleep 1; ` +
        `done; echo "RESULT ${check} yes") &`,
    ),
    "wait",
  ].join("\n");
  const pod: V1Pod = {
    metadata: { name, namespace, labels },
    spec: {
      restartPolicy: "Never",
      automountServiceAccountToken: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 10010,
        runAsGroup: 10010,
        seccompProfile: { type: "RuntimeDefault" },
      },
      containers: [
        {
          name: "probe",
          image,
          imagePullPolicy: "Never",
          args: ["sh", "-c", script],
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
          },
          resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "32Mi" } },
        },
      ],
    },
  };
  await core.createNamespacedPod({ namespace, body: pod });
  try {
    await until(`probe pod ${name} finished`, 120, async () => {
      const phase = (await core.readNamespacedPod({ name, namespace })).status?.phase;
      return phase === "Succeeded" || phase === "Failed" ? phase : undefined;
    });
    const log = await core.readNamespacedPodLog({ name, namespace, container: "probe" });
    const results = Object.fromEntries(
      [...log.matchAll(/^RESULT (\S+) (yes|no)$/gm)].map((match) => [match[1] as string, match[2] === "yes"]),
    );
    for (const check of Object.keys(checks))
      if (!(check in results)) throw new Error(`probe ${name} printed no result for ${check}:\n${log}`);
    return results;
  } finally {
    await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
  }
}

/** nc connects and runs `true`, so an accepted connection ends at once (3 s to connect). */
export const tcpCheck = (address: string, port: number) =>
  `/bin/busybox nc -w 3 ${address} ${port} -e /bin/busybox true`;
export const dnsCheck = (name: string) => `/bin/busybox nslookup ${name}`;
