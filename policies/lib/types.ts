// The shapes every rule works on: a resource as CrossGuard, the offline checker and the tests
// all see it (its Pulumi type token, name and input properties), and what a rule reports.
export type Props = Record<string, unknown>;

export interface CheckedResource {
  /** Pulumi type token, e.g. kubernetes:apps/v1:Deployment or aws:s3/bucket:Bucket. */
  type: string;
  /** Where the resource comes from: its Pulumi name or a manifest file and object. */
  name: string;
  props: Props;
  /** Names of the resources each property depends on (CrossGuard knows them), when known. */
  dependencies?: Record<string, string[]>;
}

export interface Violation {
  /** What is wrong, naming the field. */
  message: string;
  /** How to fix it. */
  fix: string;
}

export interface StackViolation extends Violation {
  resource: string;
}

export interface PackConfig {
  /** Services (namespace/name) allowed to be LoadBalancer or NodePort: the configured ingress. */
  exposedServices: string[];
}

export const DEFAULT_CONFIG: PackConfig = { exposedServices: [] };

export interface ResourceRule {
  name: string;
  description: string;
  appliesTo: (type: string) => boolean;
  check: (resource: CheckedResource, config: PackConfig) => Violation[];
}

export interface StackRule {
  name: string;
  description: string;
  check: (resources: CheckedResource[], config: PackConfig) => StackViolation[];
}

export const violation = (message: string, fix: string): Violation => ({ message, fix });
