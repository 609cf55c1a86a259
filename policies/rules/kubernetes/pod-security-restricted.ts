// Pod Security Standards "restricted" (with the baseline it includes), except the host
// namespaces, hostPath and hostPorts, which host-access.ts checks: together the whole profile.
import { asArray, asObject, containersOf, isWorkload, type Json, withPod } from "../../lib/kubernetes.js";
import { violation, type ResourceRule, type Violation } from "../../lib/types.js";

const ALLOWED_VOLUME_TYPES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);
const SAFE_SYSCTLS = new Set([
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
]);
const SELINUX_TYPES = new Set(["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]);
const SECCOMP_OK = new Set(["RuntimeDefault", "Localhost"]);

function seLinuxAndAppArmor(context: Json, where: string, out: Violation[]): void {
  const seLinux = asObject(context.seLinuxOptions);
  if (seLinux.type !== undefined && !SELINUX_TYPES.has(String(seLinux.type)))
    out.push(
      violation(`${where}.seLinuxOptions.type is ${String(seLinux.type)}`, "use container_t (or leave it unset)"),
    );
  for (const field of ["user", "role"])
    if (seLinux[field] !== undefined)
      out.push(violation(`${where}.seLinuxOptions.${field} is set`, `remove seLinuxOptions.${field}`));
  const appArmor = asObject(context.appArmorProfile);
  if (appArmor.type !== undefined && !["RuntimeDefault", "Localhost"].includes(String(appArmor.type)))
    out.push(violation(`${where}.appArmorProfile.type is ${String(appArmor.type)}`, "use RuntimeDefault"));
  if (asObject(context.windowsOptions).hostProcess === true)
    out.push(violation(`${where}.windowsOptions.hostProcess is true`, "remove hostProcess"));
}

export const podSecurityRestricted: ResourceRule = {
  name: "pod-security-restricted",
  description:
    "Pods meet the Pod Security Standards restricted profile (non-root, no privilege escalation, capabilities dropped, seccomp, safe volumes and sysctls).",
  appliesTo: isWorkload,
  check: withPod((pod) => {
    const out: Violation[] = [];
    const podContext = asObject(pod.spec.securityContext);
    seLinuxAndAppArmor(podContext, "securityContext", out);
    const podSeccomp = asObject(podContext.seccompProfile).type;
    if (podSeccomp !== undefined && !SECCOMP_OK.has(String(podSeccomp)))
      out.push(
        violation(
          `securityContext.seccompProfile.type is ${String(podSeccomp)}`,
          "set seccompProfile.type: RuntimeDefault",
        ),
      );
    if (podContext.runAsUser === 0)
      out.push(violation("securityContext.runAsUser is 0 (root)", "run as a non-zero user id"));
    for (const sysctl of asArray(podContext.sysctls)) {
      if (!SAFE_SYSCTLS.has(String(sysctl.name)))
        out.push(
          violation(
            `securityContext.sysctls sets ${String(sysctl.name)}, which is not a safe sysctl`,
            "remove the sysctl",
          ),
        );
    }
    for (const volume of asArray(pod.spec.volumes)) {
      const types = Object.keys(volume).filter((key) => key !== "name");
      for (const type of types) {
        if (!ALLOWED_VOLUME_TYPES.has(type))
          out.push(
            violation(
              `volume ${String(volume.name)} is of type ${type}`,
              `use one of ${[...ALLOWED_VOLUME_TYPES].join(", ")}`,
            ),
          );
      }
    }
    for (const [key, value] of Object.entries(asObject(pod.metadata.annotations))) {
      if (
        key.startsWith("container.apparmor.security.beta.kubernetes.io/") &&
        !(value === "runtime/default" || String(value).startsWith("localhost/"))
      ) {
        out.push(violation(`annotation ${key} is ${String(value)}`, "use runtime/default"));
      }
    }
    for (const { path, container } of containersOf(pod.spec)) {
      const context = asObject(container.securityContext);
      const where = `${path}.securityContext`;
      seLinuxAndAppArmor(context, where, out);
      if (context.privileged === true) out.push(violation(`${where}.privileged is true`, "set privileged: false"));
      if (context.allowPrivilegeEscalation !== false)
        out.push(violation(`${where}.allowPrivilegeEscalation is not false`, "set allowPrivilegeEscalation: false"));
      const nonRoot = context.runAsNonRoot ?? podContext.runAsNonRoot;
      if (nonRoot !== true)
        out.push(violation(`${where}.runAsNonRoot is not true (nor set on the pod)`, "set runAsNonRoot: true"));
      if (context.runAsUser === 0) out.push(violation(`${where}.runAsUser is 0 (root)`, "run as a non-zero user id"));
      const seccomp = asObject(context.seccompProfile).type ?? podSeccomp;
      if (!SECCOMP_OK.has(String(seccomp)))
        out.push(
          violation(
            `${where}.seccompProfile.type is ${seccomp === undefined ? "unset (nor set on the pod)" : String(seccomp)}`,
            "set seccompProfile.type: RuntimeDefault",
          ),
        );
      const capabilities = asObject(context.capabilities);
      const drop = Array.isArray(capabilities.drop) ? capabilities.drop.map(String) : [];
      if (!drop.includes("ALL")) out.push(violation(`${where}.capabilities.drop does not include ALL`, "drop: [ALL]"));
      const added = Array.isArray(capabilities.add) ? capabilities.add.map(String) : [];
      for (const capability of added)
        if (capability !== "NET_BIND_SERVICE")
          out.push(
            violation(
              `${where}.capabilities.add includes ${capability}`,
              "add no capability other than NET_BIND_SERVICE",
            ),
          );
      if (context.procMount !== undefined && context.procMount !== "Default")
        out.push(violation(`${where}.procMount is ${String(context.procMount)}`, "leave procMount unset"));
    }
    return out;
  }),
};
