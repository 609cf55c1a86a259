// Runs the real Pulumi program under Pulumi's own mocks: no engine, no cluster, no cloud. Every
// resource the program registers is recorded with its inputs; cloud outputs get deterministic
// stand-ins. `npm run synth`, `npm run check` and the infra tests all go through here.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";

export const PROJECT = "mcp-bastion";
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const EXAMPLE_STACKS = ["aws", "local", "airgapped"] as const;

/** Pulumi's marker for a secret value inside recorded inputs. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface RecordedResource {
  type: string;
  name: string;
  /** Inputs as the program passed them; secrets still wrapped (see isSecret). */
  inputs: Record<string, unknown>;
  /** The id and outputs the mocks answered with. */
  id: string;
  state: Record<string, unknown>;
}

export interface MockRun {
  stack: string;
  resources: RecordedResource[];
  outputs: Record<string, unknown>;
}

export function isSecret(value: unknown): value is { value: unknown } {
  return (
    typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG
  );
}

/** A deep copy with every secret replaced by `replacement(value)`. */
export function revealOrRedact(value: unknown, replacement: (secret: unknown) => unknown): unknown {
  if (isSecret(value)) return replacement(value.value);
  if (Array.isArray(value)) return value.map((item) => revealOrRedact(item, replacement));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, revealOrRedact(item, replacement)]));
  }
  return value;
}

/** A stack's config file as the flat `project:key` strings Pulumi hands a program. */
export function stackConfig(stack: string, overrides: Record<string, unknown> = {}): Record<string, string> {
  const file = join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);
  const document = parse(readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  const values: Record<string, unknown> = { ...document?.config };
  for (const [key, value] of Object.entries(overrides)) values[key.includes(":") ? key : `${PROJECT}:${key}`] = value;
  return Object.fromEntries(
    Object.entries(values)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
  );
}

const fakeId = (name: string): string => createHash("sha256").update(name).digest("hex");

/** Outputs a cloud provider would compute, made up deterministically from the resource name. */
function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const account = "123456789012";
  const region = "eu-west-1";
  switch (type) {
    case "random:index/randomPassword:RandomPassword":
      return { ...inputs, result: `mock-${fakeId(name).slice(0, Number(inputs.length ?? 32))}` };
    case "docker-build:index:Image":
      return { ...inputs, digest: `sha256:${fakeId(name)}` };
    case "aws:s3/bucket:Bucket":
      return {
        ...inputs,
        bucket: `${name}-${fakeId(name).slice(0, 8)}`,
        arn: `arn:aws:s3:::${name}-${fakeId(name).slice(0, 8)}`,
      };
    case "aws:kms/key:Key":
      return {
        ...inputs,
        keyId: fakeId(name).slice(0, 36),
        arn: `arn:aws:kms:${region}:${account}:key/${fakeId(name).slice(0, 36)}`,
      };
    case "aws:iam/role:Role":
      return { ...inputs, arn: `arn:aws:iam::${account}:role/${name}` };
    case "aws:ecr/repository:Repository":
      return { ...inputs, registryId: account, repositoryUrl: `${account}.dkr.ecr.${region}.amazonaws.com/${name}` };
    default:
      return inputs;
  }
}

/**
 * Runs the program for an example stack (optionally with settings overridden, and with secret
 * settings such as the engine hands over from `pulumi config set --secret`) and returns what it
 * registered. One run per process: Pulumi's runtime state is global.
 */
export async function runProgram(
  stack: string,
  overrides: Record<string, unknown> = {},
  secrets: Record<string, string> = {},
): Promise<MockRun> {
  const resources: RecordedResource[] = [];
  const config = stackConfig(stack, { ...overrides, ...secrets });
  pulumi.runtime.setAllConfig(
    config,
    Object.keys(secrets).map((key) => `${PROJECT}:${key}`),
  );
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const inputs = args.inputs as Record<string, unknown>;
        const state = mockState(args.type, args.name, inputs);
        // An S3 bucket's id is its name, as in the AWS provider; attachments refer to it.
        const id =
          typeof state.bucket === "string" && args.type.startsWith("aws:s3/bucket") ? state.bucket : `${args.name}-id`;
        resources.push({ type: args.type, name: args.name, inputs, id, state });
        return { id, state };
      },
      call: (args) => {
        if (args.token === "aws:index/getRegion:getRegion") return { name: "eu-west-1", region: "eu-west-1" };
        if (args.token === "aws:ecr/getAuthorizationToken:getAuthorizationToken")
          return { userName: "AWS", password: "mock-registry-token" };
        throw new Error(`the program called ${args.token}, which the mocks do not know`);
      },
    },
    PROJECT,
    stack,
    false,
  );
  const { kitProgram } = await import("../program.js");
  const outputs = kitProgram();
  const resolved: Record<string, unknown> = {};
  for (const [key, output] of Object.entries(outputs)) {
    resolved[key] = await new Promise((done) => (output as pulumi.Output<unknown>).apply((value) => done(value)));
  }
  await pulumi.runtime.disconnect();
  return { stack, resources, outputs: resolved };
}
