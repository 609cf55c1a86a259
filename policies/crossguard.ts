// The rules as CrossGuard policies: the same functions `npm run check` runs, reporting each
// violation as "what is wrong. Fix: how". Kept apart from index.ts, which starts the pack.
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  DEFAULT_CONFIG,
  type CheckedResource,
  type PackConfig,
  type ResourceRule,
  type StackRule,
} from "./lib/types.js";

const EXPOSED_SERVICES_SCHEMA = {
  properties: {
    exposedServices: {
      type: "array" as const,
      items: { type: "string" as const },
      default: [] as string[],
      description: "Services (namespace/name) that may be NodePort or LoadBalancer: the configured ingress.",
    },
  },
};

function configOf(read: () => Partial<PackConfig>): PackConfig {
  const config = read();
  return {
    ...DEFAULT_CONFIG,
    ...config,
    exposedServices: Array.isArray(config.exposedServices) ? config.exposedServices.map(String) : [],
  };
}

export function resourcePolicy(rule: ResourceRule): ResourceValidationPolicy {
  return {
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory",
    ...(rule.name === "no-node-port-or-load-balancer" ? { configSchema: EXPOSED_SERVICES_SCHEMA } : {}),
    validateResource: (args, reportViolation) => {
      if (!rule.appliesTo(args.type)) return;
      const config = configOf(() => args.getConfig<Partial<PackConfig>>());
      for (const violation of rule.check({ type: args.type, name: args.name, props: args.props }, config))
        reportViolation(`${violation.message}. Fix: ${violation.fix}`);
    },
  };
}

export function checkedResource(resource: PolicyResource): CheckedResource {
  return {
    type: resource.type,
    name: resource.name,
    props: resource.props,
    dependencies: Object.fromEntries(
      Object.entries(resource.propertyDependencies ?? {}).map(([property, dependencies]) => [
        property,
        dependencies.map((dependency) => dependency.name),
      ]),
    ),
  };
}

export function stackPolicy(rule: StackRule): StackValidationPolicy {
  return {
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      const byName = new Map(args.resources.map((resource) => [resource.name, resource.urn]));
      for (const violation of rule.check(
        args.resources.map(checkedResource),
        configOf(() => args.getConfig<Partial<PackConfig>>()),
      )) {
        reportViolation(
          `${violation.resource}: ${violation.message}. Fix: ${violation.fix}`,
          byName.get(violation.resource),
        );
      }
    },
  };
}
