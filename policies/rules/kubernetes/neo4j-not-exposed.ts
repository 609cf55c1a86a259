// Neo4j holds the revocations, the audit trail and the graph: nothing outside its namespace
// may reach it, whatever object tries to open the way.
import { asArray, asObject, isKind, kubernetesType, labelsOf } from "../../lib/kubernetes.js";
import { violation, type ResourceRule, type Violation } from "../../lib/types.js";

const NEO4J_PORTS = new Set([7687, 7474, 7473, 6362, 5000, 6000, 7000, 7688]);
const isNeo4jSelector = (selector: unknown): boolean => {
  const labels = labelsOf(selector);
  return labels["app.kubernetes.io/name"] === "neo4j" || labels.app === "neo4j";
};
const isNeo4jServiceName = (name: unknown): boolean => typeof name === "string" && /(^|-)neo4j($|-)/.test(name);

export const neo4jNotExposed: ResourceRule = {
  name: "neo4j-not-exposed",
  description:
    "Neo4j is reachable only inside its namespace: ClusterIP Services only, no Ingress route, no NetworkPolicy admitting other namespaces or IP ranges.",
  appliesTo: isKind("Service", "Ingress", "NetworkPolicy"),
  check(resource) {
    const kind = kubernetesType(resource.type)?.kind;
    const spec = asObject(resource.props.spec);
    const out: Violation[] = [];
    if (kind === "Service") {
      const neo4j = isNeo4jSelector(spec.selector) || isNeo4jServiceName(asObject(resource.props.metadata).name);
      const boltPort = asArray(spec.ports).some((port) => NEO4J_PORTS.has(Number(port.targetPort ?? port.port)));
      if (
        (neo4j || boltPort) &&
        ((spec.type ?? "ClusterIP") !== "ClusterIP" || (Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0))
      ) {
        out.push(
          violation(
            `a Service in front of Neo4j is ${String(spec.type)}${Array.isArray(spec.externalIPs) && spec.externalIPs.length ? " with externalIPs" : ""}`,
            "make it ClusterIP (headless) without externalIPs",
          ),
        );
      }
    } else if (kind === "Ingress") {
      const backends: unknown[] = [asObject(spec.defaultBackend)];
      for (const rule of asArray(spec.rules))
        for (const path of asArray(asObject(rule.http).paths)) backends.push(asObject(path.backend));
      for (const backend of backends) {
        const service = asObject(asObject(backend).service);
        const port = Number(asObject(service.port).number);
        if (isNeo4jServiceName(service.name) || NEO4J_PORTS.has(port))
          out.push(
            violation(
              `the Ingress routes to ${String(service.name)}:${String(port)}, a Neo4j port or service`,
              "never route an Ingress to Neo4j",
            ),
          );
      }
    } else if (kind === "NetworkPolicy" && isNeo4jSelector(asObject(spec.podSelector).matchLabels)) {
      asArray(spec.ingress).forEach((rule, index) => {
        const peers = asArray(rule.from);
        if (rule.from === undefined || peers.length === 0)
          out.push(
            violation(
              `ingress[${index}] admits every source to the Neo4j pods`,
              "list the client pods with a podSelector",
            ),
          );
        for (const peer of peers) {
          if (peer.namespaceSelector !== undefined || peer.ipBlock !== undefined) {
            out.push(
              violation(
                `ingress[${index}] admits ${peer.ipBlock ? "an IP range" : "other namespaces"} to the Neo4j pods`,
                "admit only pods of the same namespace (podSelector alone)",
              ),
            );
          }
        }
      });
    }
    return out;
  },
};
