// Applies objects synthesized by the cdk8s charts. Which objects exist is known before deploy
// (the charts are pure), so every object is its own Pulumi resource in preview; the values
// only a deployment knows (the image digest, cloud names) flow in as outputs.
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { KubeObject } from "../charts/index.js";
import { objectKey } from "../charts/index.js";

export interface KubeObjectsArgs {
  /** The objects as synthesized with placeholder deploy values: names and kinds only matter. */
  readonly plan: readonly KubeObject[];
  /** The same objects with the real deploy values. */
  readonly resolved: pulumi.Output<KubeObject[]>;
  /** The cluster the objects are applied to. */
  readonly provider: k8s.Provider;
  /**
   * Whether an update waits until each object is ready (the provider's await logic).
   * @default true
   */
  readonly awaitReadiness?: boolean;
}

/** The provider's per-object switch for its await logic. */
const SKIP_AWAIT = "pulumi.com/skipAwait";

/** The Kubernetes provider's type token for an object, e.g. kubernetes:apps/v1:Deployment. */
export function typeToken(object: Pick<KubeObject, "apiVersion" | "kind">): string {
  const apiVersion = object.apiVersion.includes("/") ? object.apiVersion : `core/${object.apiVersion}`;
  return `kubernetes:${apiVersion}:${object.kind}`;
}

/** One object, registered under the Kubernetes provider's own type token. */
class KubeResource extends pulumi.CustomResource {}

export class KubeObjects extends pulumi.ComponentResource {
  readonly namespaces: pulumi.CustomResource[];
  private readonly provider: k8s.Provider;
  private readonly awaitReadiness: boolean;

  constructor(name: string, args: KubeObjectsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-bastion:k8s:KubeObjects", name, {}, opts);
    this.provider = args.provider;
    this.awaitReadiness = args.awaitReadiness ?? true;
    const keys = new Set<string>();
    for (const object of args.plan) {
      const key = objectKey(object);
      if (keys.has(key)) throw new pulumi.ResourceError(`two objects are both ${key}`, this);
      keys.add(key);
    }
    const byKey = args.resolved.apply((objects) => {
      const index = new Map(objects.map((object) => [objectKey(object), object]));
      for (const key of keys) if (!index.has(key)) throw new Error(`the resolved objects lost ${key}`);
      return index;
    });
    // Namespaces first: every namespaced object of the same group depends on them.
    this.namespaces = args.plan
      .filter((object) => object.kind === "Namespace")
      .map((object) => this.apply(object, byKey, []));
    for (const object of args.plan) if (object.kind !== "Namespace") this.apply(object, byKey, this.namespaces);
    this.registerOutputs({});
  }

  private apply(
    planned: KubeObject,
    byKey: pulumi.Output<Map<string, KubeObject>>,
    dependsOn: pulumi.Resource[],
  ): pulumi.CustomResource {
    const key = objectKey(planned);
    const resolved = byKey.apply((index) => index.get(key) as KubeObject);
    const inputs: Record<string, pulumi.Input<unknown>> = { apiVersion: planned.apiVersion, kind: planned.kind };
    for (const field of Object.keys(planned)) {
      if (field !== "apiVersion" && field !== "kind") inputs[field] = resolved.apply((object) => object[field]);
    }
    if (!this.awaitReadiness) {
      inputs.metadata = resolved.apply(({ metadata }) => ({
        ...metadata,
        annotations: { ...metadata.annotations, [SKIP_AWAIT]: "true" },
      }));
    }
    return new KubeResource(typeToken(planned), key.replaceAll("/", ":"), inputs, {
      parent: this,
      provider: this.provider,
      dependsOn,
    });
  }
}
