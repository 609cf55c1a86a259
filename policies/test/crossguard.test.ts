// The CrossGuard pack wires every rule in, mandatory, and reports what the rule says.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PolicyResource, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { resourcePolicy, stackPolicy } from "../crossguard.js";
import { RESOURCE_RULES, STACK_RULES } from "../rules/index.js";
import { kube } from "./fixtures.js";

function validationArgs(type: string, props: Record<string, unknown>, config: object = {}): ResourceValidationArgs {
  return {
    type,
    props,
    urn: `urn:pulumi:s::p::${type}::x`,
    name: "x",
    getConfig: () => config,
  } as unknown as ResourceValidationArgs;
}

describe("the CrossGuard pack", () => {
  it("holds every rule once, each mandatory", () => {
    const policies = [...RESOURCE_RULES.map(resourcePolicy), ...STACK_RULES.map(stackPolicy)];
    assert.equal(new Set(policies.map((policy) => policy.name)).size, policies.length);
    for (const policy of policies) assert.equal(policy.enforcementLevel, "mandatory", policy.name);
  });

  it("reports a resource rule's violations with their fix, and only for types the rule covers", () => {
    const policy = resourcePolicy(
      RESOURCE_RULES.find((rule) => rule.name === "no-node-port-or-load-balancer") ?? assert.fail(),
    );
    const service = kube(
      "v1",
      "Service",
      { name: "web", namespace: "kit" },
      { spec: { type: "NodePort", selector: { app: "web" } } },
    );
    const reported: string[] = [];
    const validate = policy.validateResource as (
      args: ResourceValidationArgs,
      report: (message: string) => void,
    ) => void;
    validate(validationArgs(service.type, service.props), (message) => reported.push(message));
    assert.deepEqual(reported, ["spec.type is NodePort. Fix: use ClusterIP and reach the service through the ingress"]);
    const allowed: string[] = [];
    validate(validationArgs(service.type, service.props, { exposedServices: ["kit/web"] }), (message) =>
      allowed.push(message),
    );
    assert.deepEqual(allowed, [], "the configured ingress Service may be exposed");
    const otherType: string[] = [];
    validate(validationArgs("aws:s3/bucket:Bucket", { spec: { type: "NodePort" } }), (message) =>
      otherType.push(message),
    );
    assert.deepEqual(otherType, [], "a rule ignores types it does not cover");
  });

  it("reports a stack rule's violations against the offending resource", () => {
    const policy = stackPolicy(STACK_RULES.find((rule) => rule.name === "namespace-default-deny") ?? assert.fail());
    const namespace = {
      type: "kubernetes:core/v1:Namespace",
      name: "ns",
      urn: "urn:ns",
      props: { metadata: { name: "kit" } },
      propertyDependencies: {},
    } as unknown as PolicyResource;
    const reported: [string, string | undefined][] = [];
    void policy.validateStack(
      { resources: [namespace], getConfig: () => ({}) } as unknown as StackValidationArgs,
      (message, urn) => reported.push([message, urn]),
    );
    assert.equal(reported.length, 2);
    assert.match(reported[0]?.[0] ?? "", /^Namespace kit: no NetworkPolicy denies all ingress by default\. Fix:/);
  });
});
