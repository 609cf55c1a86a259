// The kit's credentials: the stack's own (secret settings, kept in the operator's vault) or
// generated at random; either way Pulumi secrets, handed to pods only as Kubernetes Secrets
// mounted as files.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { NAMES, objectLabels } from "../charts/common.js";
import { valkeyAclLine } from "../charts/rate-limit-store.js";
import type { Settings } from "../config.js";

export interface CredentialsArgs {
  readonly settings: Settings;
  readonly provider: k8s.Provider;
  readonly dependsOn: pulumi.Input<pulumi.Resource[]>;
}

export class Credentials extends pulumi.ComponentResource {
  readonly neo4jPassword: pulumi.Output<string>;
  readonly secrets: k8s.core.v1.Secret[] = [];

  constructor(name: string, args: CredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-bastion:k8s:Credentials", name, {}, opts);
    const { settings, provider } = args;
    const child = { parent: this, provider, dependsOn: args.dependsOn };

    const generated = (suffix: string, args: random.RandomPasswordArgs) =>
      new random.RandomPassword(`${name}-${suffix}`, args, { parent: this }).result;
    this.neo4jPassword = pulumi.secret(settings.neo4jPassword ?? generated("neo4j", { length: 40, special: false }));
    this.secrets.push(
      new k8s.core.v1.Secret(
        `${name}-neo4j`,
        {
          metadata: { name: NAMES.neo4jCredentials, namespace: settings.namespace, labels: objectLabels("neo4j") },
          type: "Opaque",
          immutable: false,
          stringData: { password: this.neo4jPassword, auth: pulumi.interpolate`neo4j/${this.neo4jPassword}` },
        },
        child,
      ),
    );

    if (settings.platform === "local") {
      const accessKey =
        settings.objectStoreAccessKeyId ??
        generated("object-store-access-key", { length: 20, special: false, upper: true, lower: false });
      const secretKey =
        settings.objectStoreSecretAccessKey ?? generated("object-store-secret-key", { length: 40, special: false });
      this.secrets.push(
        new k8s.core.v1.Secret(
          `${name}-object-store`,
          {
            metadata: {
              name: NAMES.objectStoreCredentials,
              namespace: settings.namespace,
              labels: objectLabels("object-store"),
            },
            type: "Opaque",
            stringData: { "access-key-id": pulumi.secret(accessKey), "secret-access-key": pulumi.secret(secretKey) },
          },
          child,
        ),
      );
    }
    // The shared rate-limit store: the in-cluster Valkey's password (the vault's, or generated), or the external one's.
    const storePassword =
      settings.rateLimitStore === "valkey"
        ? (settings.rateLimitStorePassword ?? generated("rate-limit-store", { length: 40, special: false }))
        : settings.rateLimitStorePassword;
    if (storePassword !== undefined) {
      this.secrets.push(
        new k8s.core.v1.Secret(
          `${name}-rate-limit-store`,
          {
            metadata: {
              name: NAMES.limitStoreCredentials,
              namespace: settings.namespace,
              labels: objectLabels("rate-limit-store"),
            },
            type: "Opaque",
            // valkey.conf: the in-cluster store's one user, barred from the admin and dangerous commands.
            stringData: {
              password: pulumi.secret(storePassword),
              ...(settings.rateLimitStore === "valkey"
                ? { "valkey.conf": pulumi.secret(pulumi.output(storePassword).apply(valkeyAclLine)) }
                : {}),
            },
          },
          child,
        ),
      );
    }
    this.registerOutputs({});
  }
}
