// The kit's credentials: the stack's own (secret settings, kept in the operator's vault) or
// generated at random; either way Pulumi secrets, handed to pods only as Kubernetes Secrets
// mounted as files.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { NAMES, objectLabels } from "../charts/common.js";
import { valkeyAclLine } from "../charts/rate-limit-store.js";
import type { RateLimitStore } from "../settings-server.js";

export interface CredentialsArgs {
  /** The cluster the Secrets are written to. */
  readonly provider: k8s.Provider;
  /** What must exist before the Secrets (the kit's namespace). */
  readonly dependsOn: pulumi.Input<pulumi.Resource[]>;
  /** The kit's namespace, where the Secrets live. */
  readonly namespace: pulumi.Input<string>;
  /**
   * Neo4j's password, from the operator's vault.
   * @default a random 40-character password
   */
  readonly neo4jPassword?: pulumi.Input<string>;
  /**
   * The in-cluster object store's credentials (local platform). A key not given is generated.
   * @default undefined: there is no in-cluster object store, and no Secret for it
   */
  readonly objectStore?: {
    /** @default 20 random upper-case letters and digits */
    readonly accessKeyId?: pulumi.Input<string>;
    /** @default a random 40-character key */
    readonly secretAccessKey?: pulumi.Input<string>;
  };
  /**
   * Which rate-limit store the server shares: valkey (in the cluster, its password generated
   * unless given), external (a Secret only when it has a password) or memory (none).
   * @default "memory"
   */
  readonly rateLimitStore?: RateLimitStore;
  /** The rate-limit store's password, from the operator's vault. */
  readonly rateLimitStorePassword?: pulumi.Input<string>;
}

export class Credentials extends pulumi.ComponentResource {
  readonly neo4jPassword: pulumi.Output<string>;
  readonly secrets: k8s.core.v1.Secret[] = [];

  constructor(name: string, args: CredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mcp-bastion:k8s:Credentials", name, {}, opts);
    const { namespace, provider } = args;
    const rateLimitStore = args.rateLimitStore ?? "memory";
    const child = { parent: this, provider, dependsOn: args.dependsOn };

    const generated = (suffix: string, args: random.RandomPasswordArgs) =>
      new random.RandomPassword(`${name}-${suffix}`, args, { parent: this }).result;
    this.neo4jPassword = pulumi.secret(args.neo4jPassword ?? generated("neo4j", { length: 40, special: false }));
    this.secrets.push(
      new k8s.core.v1.Secret(
        `${name}-neo4j`,
        {
          metadata: { name: NAMES.neo4jCredentials, namespace, labels: objectLabels("neo4j") },
          type: "Opaque",
          immutable: false,
          stringData: { password: this.neo4jPassword, auth: pulumi.interpolate`neo4j/${this.neo4jPassword}` },
        },
        child,
      ),
    );

    if (args.objectStore) {
      const accessKey =
        args.objectStore.accessKeyId ??
        generated("object-store-access-key", { length: 20, special: false, upper: true, lower: false });
      const secretKey =
        args.objectStore.secretAccessKey ?? generated("object-store-secret-key", { length: 40, special: false });
      this.secrets.push(
        new k8s.core.v1.Secret(
          `${name}-object-store`,
          {
            metadata: {
              name: NAMES.objectStoreCredentials,
              namespace,
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
      rateLimitStore === "valkey"
        ? (args.rateLimitStorePassword ?? generated("rate-limit-store", { length: 40, special: false }))
        : args.rateLimitStorePassword;
    if (storePassword !== undefined) {
      this.secrets.push(
        new k8s.core.v1.Secret(
          `${name}-rate-limit-store`,
          {
            metadata: {
              name: NAMES.limitStoreCredentials,
              namespace,
              labels: objectLabels("rate-limit-store"),
            },
            type: "Opaque",
            // valkey.conf: the in-cluster store's one user, barred from the admin and dangerous commands.
            stringData: {
              password: pulumi.secret(storePassword),
              ...(rateLimitStore === "valkey"
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
