// Every rule of the pack, in one list: CrossGuard, `npm run check` and the tests read this.
import type { ResourceRule, StackRule } from "../lib/types.js";
import { bucketEncryption, bucketPublicAccess, bucketTlsOnly, bucketVersioning } from "./aws/s3.js";
import { iamNoWildcards, irsaTrustPinned, kmsKeyRotation } from "./aws/kms-iam.js";
import { certificateRotation } from "./kubernetes/certificates.js";
import {
  imagesByDigest,
  noServiceAccountToken,
  probes,
  readOnlyRootFilesystem,
  resourceRequestsAndLimits,
  secretsNotInEnv,
} from "./kubernetes/container-hygiene.js";
import { cronJobGuardrails } from "./kubernetes/cronjob-guardrails.js";
import { hostAccess } from "./kubernetes/host-access.js";
import { neo4jNotExposed } from "./kubernetes/neo4j-not-exposed.js";
import { podSecurityRestricted } from "./kubernetes/pod-security-restricted.js";
import { serviceExposure } from "./kubernetes/service-exposure.js";
import { sandboxHoldsNothing } from "./kubernetes/sandbox-contained.js";
import { sandboxNetworkClosed } from "./stack/sandbox-network.js";
import { bucketsComplete } from "./stack/buckets.js";
import {
  namespacesDenyByDefault,
  neo4jEgressClosed,
  servicesSelectWorkloads,
  workloadsSelectedByPolicy,
} from "./stack/network.js";

export const RESOURCE_RULES: readonly ResourceRule[] = [
  podSecurityRestricted,
  hostAccess,
  readOnlyRootFilesystem,
  imagesByDigest,
  resourceRequestsAndLimits,
  probes,
  secretsNotInEnv,
  noServiceAccountToken,
  serviceExposure,
  cronJobGuardrails,
  neo4jNotExposed,
  sandboxHoldsNothing,
  certificateRotation,
  bucketEncryption,
  bucketVersioning,
  bucketPublicAccess,
  bucketTlsOnly,
  kmsKeyRotation,
  iamNoWildcards,
  irsaTrustPinned,
];

export const STACK_RULES: readonly StackRule[] = [
  namespacesDenyByDefault,
  workloadsSelectedByPolicy,
  servicesSelectWorkloads,
  neo4jEgressClosed,
  sandboxNetworkClosed,
  bucketsComplete,
];
