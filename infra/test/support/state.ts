// Stack state as an earlier program shape left it, for tests that prove a refactoring of the
// program is adopted in place (aliases) rather than replacing what runs.
import assert from "node:assert/strict";
import type { Deployment } from "@pulumi/pulumi/automation/index.js";

interface StateResource {
  urn: string;
  type: string;
  parent?: string;
}

/**
 * The state with the component of type `componentType` removed and its children moved to the
 * stack's root: its type is taken out of every URN (and of every reference to one: parents,
 * providers, dependencies), as if the component had never been declared.
 */
export function withChildrenAtRoot(state: Deployment, componentType: string): Deployment {
  const resources = (state.deployment as { resources: StateResource[] }).resources;
  const component = resources.filter((resource) => resource.type === componentType);
  assert.equal(component.length, 1, `the state holds one ${componentType}`);
  const root = resources.find((resource) => resource.type === "pulumi:pulumi:Stack");
  assert.ok(root, "the state holds the stack resource");
  const componentUrn = component[0]?.urn as string;
  const rewritten = JSON.parse(JSON.stringify(state).replaceAll(`${componentType}$`, "")) as Deployment;
  const deployment = rewritten.deployment as { resources: StateResource[] };
  deployment.resources = deployment.resources
    .filter((resource) => resource.urn !== componentUrn)
    .map((resource) => (resource.parent === componentUrn ? { ...resource, parent: root.urn } : resource));
  return rewritten;
}
