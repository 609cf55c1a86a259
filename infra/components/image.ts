// The MCP server image: a pinned digest from config, or app/Dockerfile built and pushed at
// `pulumi up` (into an immutable, scanned, KMS-encrypted ECR repository on AWS, into the
// configured registry on the local platform). Either way the cluster runs name@sha256:digest.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import * as aws from "@pulumi/aws";
import * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import type { Platform } from "../config.js";

export interface McpImageArgs {
  /**
   * A prebuilt image pinned by digest (name@sha256:...): nothing is built or pushed.
   * @default undefined: app/Dockerfile is built at `pulumi up`
   */
  readonly imageRef?: pulumi.Input<string>;
  /** Where a built image goes: aws, into an ECR repository made for it; local, into `repository`. */
  readonly platform: Platform;
  /** The registry repository a local platform's image is pushed to, such as localhost:5001/mcp-bastion. */
  readonly repository?: pulumi.Input<string>;
  /** The repository root (the build context). */
  readonly projectRoot: string;
  /** The KMS key the ECR repository is encrypted with (aws). */
  readonly kmsKeyArn?: pulumi.Input<string>;
}

/** What the image is built from; its hash names the tag, so an unchanged app is never rebuilt. */
export const IMAGE_SOURCES = [
  "app/Dockerfile",
  "app/src",
  "app/tsconfig.build.json",
  "tsconfig.json",
  "package.json",
  "package-lock.json",
  ".dockerignore",
];

export function sourceTag(projectRoot: string): string {
  const hash = createHash("sha256");
  const visit = (path: string): void => {
    const absolute = join(projectRoot, path);
    if (statSync(absolute).isDirectory()) {
      for (const entry of readdirSync(absolute).sort()) visit(join(path, entry));
      return;
    }
    hash.update(relative(projectRoot, absolute)).update("\0").update(readFileSync(absolute)).update("\0");
  };
  for (const source of IMAGE_SOURCES) visit(source);
  return `app-${hash.digest("hex").slice(0, 16)}`;
}

export class McpImage extends pulumi.ComponentResource {
  /** name@sha256:digest */
  readonly ref: pulumi.Output<string>;

  constructor(name: string, args: McpImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-bastion:image:McpImage", name, {}, opts);
    if (args.imageRef !== undefined) {
      this.ref = pulumi.output(args.imageRef);
      this.registerOutputs({ ref: this.ref });
      return;
    }
    const tag = sourceTag(args.projectRoot);
    let repository: pulumi.Output<string>;
    let registries: dockerBuild.types.input.RegistryArgs[] = [];
    if (args.platform === "aws") {
      const ecr = new aws.ecr.Repository(
        `${name}-repository`,
        {
          imageTagMutability: "IMMUTABLE",
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: args.kmsKeyArn }],
          forceDelete: false,
        },
        { parent: this },
      );
      repository = ecr.repositoryUrl;
      const token = aws.ecr.getAuthorizationTokenOutput({ registryId: ecr.registryId }, { parent: this });
      registries = [
        {
          address: ecr.repositoryUrl.apply((url) => url.split("/")[0] ?? url),
          username: token.userName,
          password: pulumi.secret(token.password),
        },
      ];
    } else {
      if (args.repository === undefined)
        throw new pulumi.ResourceError("imageRepository is required to build the image on the local platform", this);
      repository = pulumi.output(args.repository);
    }
    const image = new dockerBuild.Image(
      `${name}-build`,
      {
        context: { location: args.projectRoot },
        dockerfile: { location: join(args.projectRoot, "app/Dockerfile") },
        platforms: ["linux/amd64"],
        push: true,
        tags: [pulumi.interpolate`${repository}:${tag}`],
        registries,
        buildOnPreview: false,
      },
      { parent: this },
    );
    this.ref = pulumi.interpolate`${repository}@${image.digest}`;
    this.registerOutputs({ ref: this.ref });
  }
}
