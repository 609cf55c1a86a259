// cert-manager Certificates rotate their keys, live at most 90 days, renew ahead, and use
// ECDSA or RSA of at least 2048 bits.
import { asObject, isKind } from "../../lib/kubernetes.js";
import { parseGoDuration } from "../../lib/duration.js";
import { violation, type ResourceRule, type Violation } from "../../lib/types.js";

const NINETY_DAYS_SECONDS = 90 * 24 * 3600;

export const certificateRotation: ResourceRule = {
  name: "certificate-rotation",
  description:
    "cert-manager Certificates: rotationPolicy Always, duration at most 90 days, renewBefore set and shorter, ECDSA or RSA >= 2048 keys.",
  appliesTo: (type) => isKind("Certificate")(type) && type.startsWith("kubernetes:cert-manager.io/"),
  check(resource) {
    const spec = asObject(resource.props.spec);
    const key = asObject(spec.privateKey);
    const out: Violation[] = [];
    if (key.rotationPolicy !== "Always")
      out.push(
        violation(
          `spec.privateKey.rotationPolicy is ${JSON.stringify(key.rotationPolicy ?? "Never (default)")}`,
          "set privateKey.rotationPolicy: Always",
        ),
      );
    const algorithm = String(key.algorithm ?? "RSA");
    const size = key.size === undefined ? undefined : Number(key.size);
    if (algorithm === "RSA" && (size ?? 2048) < 2048)
      out.push(violation(`spec.privateKey is RSA ${String(size)}`, "use ECDSA P-256 or RSA of at least 2048 bits"));
    else if (algorithm === "ECDSA" && size !== undefined && ![256, 384, 521].includes(size))
      out.push(violation(`spec.privateKey is ECDSA ${String(size)}`, "use ECDSA 256, 384 or 521"));
    else if (algorithm !== "RSA" && algorithm !== "ECDSA")
      out.push(violation(`spec.privateKey.algorithm is ${algorithm}`, "use ECDSA or RSA (>= 2048)"));
    const duration = spec.duration === undefined ? undefined : parseGoDuration(String(spec.duration));
    const renewBefore = spec.renewBefore === undefined ? undefined : parseGoDuration(String(spec.renewBefore));
    if (spec.duration === undefined)
      out.push(violation("spec.duration is not set", "set an explicit duration of at most 2160h"));
    else if (duration === undefined)
      out.push(
        violation(`spec.duration ${JSON.stringify(spec.duration)} is not a duration`, "write it like 2160h or 24h"),
      );
    else if (duration > NINETY_DAYS_SECONDS)
      out.push(
        violation(`spec.duration ${String(spec.duration)} is longer than 90 days`, "set duration to at most 2160h"),
      );
    if (spec.renewBefore === undefined && spec.renewBeforePercentage === undefined)
      out.push(violation("spec.renewBefore is not set", "set renewBefore (for example a third of the duration)"));
    else if (spec.renewBefore !== undefined && renewBefore === undefined)
      out.push(
        violation(`spec.renewBefore ${JSON.stringify(spec.renewBefore)} is not a duration`, "write it like 720h or 8h"),
      );
    else if (renewBefore !== undefined && duration !== undefined && renewBefore >= duration)
      out.push(violation("spec.renewBefore is not shorter than spec.duration", "renew before the certificate expires"));
    return out;
  },
};
