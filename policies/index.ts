// The CrossGuard policy pack: `pulumi preview|up --policy-pack policies`. Every rule is
// mandatory: a violation stops the update before anything reaches the cluster or the cloud.
import { PolicyPack } from "@pulumi/policy";
import { resourcePolicy, stackPolicy } from "./crossguard.js";
import { RESOURCE_RULES, STACK_RULES } from "./rules/index.js";

new PolicyPack("mcp-bastion", {
  enforcementLevel: "mandatory",
  policies: [...RESOURCE_RULES.map(resourcePolicy), ...STACK_RULES.map(stackPolicy)],
});
