// The namespace the kit owns: Pod Security "restricted" enforced, audited and warned, and
// (with the mesh on) every pod injected with a Linkerd proxy that denies by default.
import { Chart } from "cdk8s";
import type { Construct } from "constructs";
import * as kplus from "cdk8s-plus-28";
import type { Settings } from "../config.js";
import { objectLabels } from "./common.js";
import { TRUST_BUNDLE_LABEL } from "./addresses.js";

export const POD_SECURITY_LABELS = {
  "pod-security.kubernetes.io/enforce": "restricted",
  "pod-security.kubernetes.io/enforce-version": "latest",
  "pod-security.kubernetes.io/audit": "restricted",
  "pod-security.kubernetes.io/audit-version": "latest",
  "pod-security.kubernetes.io/warn": "restricted",
  "pod-security.kubernetes.io/warn-version": "latest",
} as const;

export class NamespaceChart extends Chart {
  constructor(scope: Construct, id: string, settings: Settings) {
    super(scope, id);
    new kplus.Namespace(this, "namespace", {
      metadata: {
        name: settings.namespace,
        labels: { ...objectLabels("platform"), ...POD_SECURITY_LABELS, ...TRUST_BUNDLE_LABEL },
        annotations: settings.meshEnabled
          ? { "linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "deny" }
          : {},
      },
    });
  }
}
