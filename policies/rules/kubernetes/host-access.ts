// No host namespaces, hostPath volumes or host ports: a pod that can see the node can leave it.
import { asArray, containersOf, isWorkload, withPod } from "../../lib/kubernetes.js";
import { violation, type ResourceRule, type Violation } from "../../lib/types.js";

export const hostAccess: ResourceRule = {
  name: "no-host-access",
  description: "Pods use no host namespaces (network, PID, IPC), no hostPath volumes and no host ports.",
  appliesTo: isWorkload,
  check: withPod((pod) => {
    const out: Violation[] = [];
    for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
      if (pod.spec[field] === true) out.push(violation(`spec.${field} is true`, `remove ${field}`));
    }
    for (const volume of asArray(pod.spec.volumes)) {
      if (volume.hostPath !== undefined)
        out.push(
          violation(`volume ${String(volume.name)} is a hostPath`, "use an emptyDir, a PVC or a projected volume"),
        );
    }
    for (const { path, container } of containersOf(pod.spec)) {
      asArray(container.ports).forEach((port, index) => {
        if (port.hostPort !== undefined && Number(port.hostPort) !== 0)
          out.push(
            violation(
              `${path}.ports[${index}].hostPort is ${String(port.hostPort)}`,
              "remove hostPort; expose the pod through a Service",
            ),
          );
      });
    }
    return out;
  }),
};
