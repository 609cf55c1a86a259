// What one NetworkPolicy cannot tell: that no policy of the namespace opens any egress for the
// code sandbox (not even DNS, a channel out), and that only the MCP server's pods may reach it.
import {
  asArray,
  asObject,
  isKind,
  isWorkload,
  labelsOf,
  namespaceOf,
  podOf,
  selectorMatches,
  type Json,
} from "../../lib/kubernetes.js";
import type { StackRule, StackViolation } from "../../lib/types.js";
import { isSandboxPod } from "../kubernetes/sandbox-contained.js";

const typesOf = (spec: Json): string[] =>
  Array.isArray(spec.policyTypes)
    ? spec.policyTypes.map(String)
    : spec.egress !== undefined
      ? ["Ingress", "Egress"]
      : ["Ingress"];
/** Further labels or expressions in a peer's selector only narrow it. */
const NAME_LABEL = "app.kubernetes.io/name";

export const sandboxNetworkClosed: StackRule = {
  name: "sandbox-network-closed",
  description:
    "The code sandbox's pods may open no connection at all, and accept connections only from the MCP server's pods.",
  check(resources) {
    const out: StackViolation[] = [];
    const policies = resources.filter((resource) => isKind("NetworkPolicy")(resource.type));
    for (const workload of resources.filter((resource) => isWorkload(resource.type))) {
      const pod = podOf(workload.props, workload.type);
      if (!pod || !isSandboxPod(pod)) continue;
      const labels = labelsOf(pod.metadata.labels);
      const selecting = policies.filter(
        (policy) =>
          namespaceOf(policy.props) === namespaceOf(workload.props) &&
          selectorMatches(asObject(policy.props.spec).podSelector, labels),
      );
      if (!selecting.some((policy) => typesOf(asObject(policy.props.spec)).includes("Egress"))) {
        out.push({
          resource: workload.name,
          message: "no NetworkPolicy governs the sandbox pods' egress",
          fix: "add a default-deny egress policy for the namespace",
        });
      }
      for (const policy of selecting) {
        const spec = asObject(policy.props.spec);
        if (asArray(spec.egress).length > 0)
          out.push({
            resource: policy.name,
            message: "allows the sandbox pods egress",
            fix: "leave the sandbox out of every egress rule (a podSelector with NotIn sandbox)",
          });
        asArray(spec.ingress).forEach((rule, index) => {
          const peers = asArray(rule.from);
          const onlyServer =
            peers.length > 0 &&
            peers.every(
              (peer) =>
                peer.namespaceSelector === undefined &&
                peer.ipBlock === undefined &&
                labelsOf(asObject(peer.podSelector).matchLabels)[NAME_LABEL] === "mcp-server",
            );
          if (!onlyServer)
            out.push({
              resource: policy.name,
              message: `ingress[${index}] admits more than the MCP server's pods to the sandbox`,
              fix: "admit only podSelector app.kubernetes.io/name: mcp-server",
            });
        });
      }
    }
    return out;
  },
};
