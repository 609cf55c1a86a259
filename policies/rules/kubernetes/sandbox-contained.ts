// run_python's sandbox pod runs programs written by callers: whatever escapes the interpreter
// and the worker process must find nothing there. No Secret or token of any kind, no
// credentials in the environment, no volume but emptyDir and ConfigMap, and no mesh proxy
// (which would carry a service account token for its identity).
import { asArray, asObject, containersOf, isWorkload, labelsOf, withPod } from "../../lib/kubernetes.js";
import { violation, type ResourceRule, type Violation } from "../../lib/types.js";

/** A sandbox's pods carry this name label (the kit's recommended labels). */
export const isSandboxPod = (pod: { metadata: Record<string, unknown> }): boolean =>
  labelsOf(pod.metadata.labels)["app.kubernetes.io/name"] === "sandbox";

const SAFE_VOLUMES = new Set(["emptyDir", "configMap"]);

export const sandboxHoldsNothing: ResourceRule = {
  name: "sandbox-holds-nothing",
  description:
    "The code sandbox's pods mount no Secret, token or storage, take no credential from the environment, and stay out of the mesh.",
  appliesTo: isWorkload,
  check: withPod((pod) => {
    if (!isSandboxPod(pod)) return [];
    const out: Violation[] = [];
    if (pod.spec.automountServiceAccountToken !== false)
      out.push(
        violation("the sandbox pod may mount a service account token", "set automountServiceAccountToken: false"),
      );
    for (const volume of asArray(pod.spec.volumes)) {
      const type = Object.keys(volume).find((key) => key !== "name") ?? "unknown";
      if (!SAFE_VOLUMES.has(type))
        out.push(
          violation(
            `volume ${String(volume.name)} is of type ${type}`,
            "give the sandbox only emptyDir and ConfigMap volumes",
          ),
        );
    }
    for (const { path, container } of containersOf(pod.spec)) {
      if (asArray(container.envFrom).some((source) => source.secretRef !== undefined))
        out.push(violation(`${path}.envFrom reads a Secret`, "the sandbox needs no credential"));
      for (const env of asArray(container.env)) {
        if (asObject(env.valueFrom).secretKeyRef !== undefined)
          out.push(violation(`${path}.env ${String(env.name)} reads a Secret`, "the sandbox needs no credential"));
      }
    }
    if (asObject(pod.metadata.annotations)["linkerd.io/inject"] !== "disabled") {
      out.push(
        violation(
          "the sandbox pod may be injected with a mesh proxy, which mounts a token",
          "annotate the pod template linkerd.io/inject: disabled",
        ),
      );
    }
    return out;
  }),
};
