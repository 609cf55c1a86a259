// Per-container rules: images by digest, requests and limits, probes, a read-only root
// filesystem, and no secrets in environment variables.
import {
  asArray,
  asObject,
  containersOf,
  isKind,
  isWorkload,
  kubernetesType,
  LONG_RUNNING_KINDS,
  withPod,
} from "../../lib/kubernetes.js";
import { violation, type ResourceRule, type Violation } from "../../lib/types.js";

const DIGEST = /@sha256:[a-f0-9]{64}$/;

export const imagesByDigest: ResourceRule = {
  name: "images-by-digest",
  description: "Every container image is pinned by digest (name@sha256:...), so what runs is what was reviewed.",
  appliesTo: isWorkload,
  check: withPod((pod) => {
    return containersOf(pod.spec)
      .filter(({ container }) => !DIGEST.test(String(container.image ?? "")))
      .map(({ path, container }) =>
        violation(
          `${path}.image ${JSON.stringify(container.image ?? null)} is not pinned by digest`,
          "reference the image as name@sha256:<digest>",
        ),
      );
  }),
};

export const resourceRequestsAndLimits: ResourceRule = {
  name: "resource-requests-and-limits",
  description: "Every container requests and limits CPU and memory.",
  appliesTo: isWorkload,
  check: withPod((pod) => {
    const out: Violation[] = [];
    for (const { path, container } of containersOf(pod.spec)) {
      if (path.startsWith("ephemeralContainers")) continue;
      const resources = asObject(container.resources);
      for (const kind of ["requests", "limits"]) {
        for (const quantity of ["cpu", "memory"]) {
          const value = asObject(resources[kind])[quantity];
          if (value === undefined || value === null || value === "")
            out.push(
              violation(`${path}.resources.${kind}.${quantity} is not set`, `set resources.${kind}.${quantity}`),
            );
        }
      }
    }
    return out;
  }),
};

export const probes: ResourceRule = {
  name: "liveness-and-readiness-probes",
  description: "Long-running containers have liveness and readiness probes.",
  appliesTo: isKind(...LONG_RUNNING_KINDS),
  check: withPod((pod) => {
    const out: Violation[] = [];
    asArray(pod.spec.containers).forEach((container, index) => {
      for (const probe of ["livenessProbe", "readinessProbe"]) {
        if (container[probe] === undefined || container[probe] === null)
          out.push(violation(`containers[${index}] (${String(container.name)}) has no ${probe}`, `add a ${probe}`));
      }
    });
    return out;
  }),
};

export const readOnlyRootFilesystem: ResourceRule = {
  name: "read-only-root-filesystem",
  description: "Every container's root filesystem is read-only; writable paths are emptyDir or PVC mounts.",
  appliesTo: isWorkload,
  check: withPod((pod) => {
    return containersOf(pod.spec)
      .filter(
        ({ path, container }) =>
          !path.startsWith("ephemeralContainers") &&
          asObject(container.securityContext).readOnlyRootFilesystem !== true,
      )
      .map(({ path }) =>
        violation(
          `${path}.securityContext.readOnlyRootFilesystem is not true`,
          "set readOnlyRootFilesystem: true and mount an emptyDir where the process writes",
        ),
      );
  }),
};

const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?)$/i;

export const secretsNotInEnv: ResourceRule = {
  name: "secrets-not-in-env",
  description: "Secrets reach containers as mounted files, never as environment variables.",
  appliesTo: isWorkload,
  check: withPod((pod) => {
    const out: Violation[] = [];
    for (const { path, container } of containersOf(pod.spec)) {
      asArray(container.env).forEach((variable, index) => {
        const name = String(variable.name ?? "");
        if (asObject(variable.valueFrom).secretKeyRef !== undefined) {
          out.push(
            violation(
              `${path}.env[${index}] (${name}) comes from a Secret`,
              "mount the Secret as a file and pass its path (NAME_FILE)",
            ),
          );
        } else if (SECRET_NAME.test(name) && typeof variable.value === "string" && variable.value !== "") {
          out.push(
            violation(
              `${path}.env[${index}] (${name}) holds a literal secret`,
              "put the value in a Secret mounted as a file",
            ),
          );
        }
      });
      asArray(container.envFrom).forEach((source, index) => {
        if (source.secretRef !== undefined)
          out.push(
            violation(
              `${path}.envFrom[${index}] loads a Secret into the environment`,
              "mount the Secret as files instead",
            ),
          );
      });
    }
    return out;
  }),
};

export const noServiceAccountToken: ResourceRule = {
  name: "no-service-account-token",
  description: "Pods do not mount a Kubernetes API token: none of the kit's workloads talks to the API.",
  appliesTo: isWorkload,
  check: withPod((pod, resource) => {
    if (pod.spec.automountServiceAccountToken === false) return [];
    return [
      violation(
        `${kubernetesType(resource.type)?.kind ?? "pod"} does not set automountServiceAccountToken: false`,
        "set automountServiceAccountToken: false on the pod spec",
      ),
    ];
  }),
};
