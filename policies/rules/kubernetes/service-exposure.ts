// Nothing is exposed outside the cluster except through the configured ingress.
import { asArray, asObject, isKind, objectName } from "../../lib/kubernetes.js";
import { violation, type ResourceRule, type Violation } from "../../lib/types.js";

export const serviceExposure: ResourceRule = {
  name: "no-node-port-or-load-balancer",
  description:
    "Services are ClusterIP (or headless); NodePort, LoadBalancer and externalIPs only for the configured ingress.",
  appliesTo: isKind("Service"),
  check(resource, config) {
    const spec = asObject(resource.props.spec);
    if (config.exposedServices.includes(objectName(resource.props))) return [];
    const out: Violation[] = [];
    const type = spec.type ?? "ClusterIP";
    if (type === "NodePort" || type === "LoadBalancer")
      out.push(violation(`spec.type is ${String(type)}`, "use ClusterIP and reach the service through the ingress"));
    if (asArray(spec.ports).some((port) => port.nodePort !== undefined))
      out.push(violation("a port sets nodePort", "remove nodePort"));
    if (Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0)
      out.push(violation("spec.externalIPs is set", "remove externalIPs"));
    return out;
  },
};
