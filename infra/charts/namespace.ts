// The namespace the kit owns: Pod Security "restricted" enforced, audited and warned, and
// (with the mesh on) every pod injected with a Linkerd proxy that denies by default.
import { Chart } from "cdk8s";
import type { Construct } from "constructs";
import * as kplus from "cdk8s-plus-28";
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

export interface NamespaceProps {
  /** The namespace's name. */
  readonly name: string;
  /**
   * Inject a Linkerd proxy into every pod, with inbound denied unless a mesh policy allows it.
   * @default true
   */
  readonly mesh?: boolean;
}

export class NamespaceChart extends Chart {
  constructor(scope: Construct, id: string, props: NamespaceProps) {
    super(scope, id);
    new kplus.Namespace(this, "namespace", {
      metadata: {
        name: props.name,
        labels: { ...objectLabels("platform"), ...POD_SECURITY_LABELS, ...TRUST_BUNDLE_LABEL },
        annotations:
          (props.mesh ?? true)
            ? { "linkerd.io/inject": "enabled", "config.linkerd.io/default-inbound-policy": "deny" }
            : {},
      },
    });
  }
}
