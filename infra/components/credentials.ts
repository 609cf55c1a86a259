// Generated credentials: random, kept as Pulumi secrets, handed to pods only as Kubernetes
// Secrets mounted as files.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { NAMES, objectLabels } from "../charts/common.js";
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

    const neo4j = new random.RandomPassword(`${name}-neo4j`, { length: 40, special: false }, { parent: this });
    this.neo4jPassword = pulumi.secret(neo4j.result);
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
      const accessKey = new random.RandomPassword(`${name}-object-store-access-key`, { length: 20, special: false, upper: true, lower: false }, { parent: this });
      const secretKey = new random.RandomPassword(`${name}-object-store-secret-key`, { length: 40, special: false }, { parent: this });
      this.secrets.push(
        new k8s.core.v1.Secret(
          `${name}-object-store`,
          {
            metadata: { name: NAMES.objectStoreCredentials, namespace: settings.namespace, labels: objectLabels("object-store") },
            type: "Opaque",
            stringData: { "access-key-id": pulumi.secret(accessKey.result), "secret-access-key": pulumi.secret(secretKey.result) },
          },
          child,
        ),
      );
    }
    this.registerOutputs({});
  }
}
