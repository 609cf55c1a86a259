// Value kinds shared by the stack settings' schemas (config.ts and settings-server.ts).
import { z } from "zod";

const DIGEST_REFERENCE =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?@sha256:[a-f0-9]{64}$/;
export const imageByDigest = z
  .string()
  .regex(DIGEST_REFERENCE, "must be an image reference pinned by digest (name@sha256:<64 hex>)");
export const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label (lower-case letters, digits, '-')");
export const cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-f:]+\/\d{1,3}$/i, "must be a CIDR such as 10.0.0.0/16");
export const password = z
  .string()
  .regex(/^[\x21-\x7e]{16,256}$/, "must be 16 to 256 printable characters without spaces");
