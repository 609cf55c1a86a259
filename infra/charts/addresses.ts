// The one place for the names the kit's pods find each other and their secrets by: in-cluster
// DNS names, the service URLs built from them, and where secrets are mounted. A chart that needs
// another chart's address imports it from here, never from that chart.
import type { Construct } from "constructs";
import * as kplus from "cdk8s-plus-28";
import { NAMES, PORTS, mountSecretFiles } from "./common.js";

/** `name.namespace.svc`: the short form a certificate and a client inside the cluster use. */
export function serviceHost(name: string, namespace: string): string {
  return `${name}.${namespace}.svc`;
}

/** `name.namespace.svc.cluster.local`: the fully qualified form. */
export function serviceFqdn(name: string, namespace: string): string {
  return `${serviceHost(name, namespace)}.cluster.local`;
}

/** The names the MCP pod's serving certificate covers: its Service, however it is addressed. */
export function mcpDnsNames(namespace: string): string[] {
  return [serviceHost(NAMES.mcp, namespace), serviceFqdn(NAMES.mcp, namespace)];
}

/** Host names the Bolt certificate covers: the Service and the one pod. */
export function neo4jDnsNames(namespace: string): string[] {
  return [serviceHost(NAMES.neo4j, namespace), serviceFqdn(NAMES.neo4j, namespace), neo4jPodFqdn(namespace)];
}

/** The Neo4j pod's own name, which it advertises to clients. */
export function neo4jPodFqdn(namespace: string): string {
  return `${NAMES.neo4j}-0.${serviceFqdn(NAMES.neo4j, namespace)}`;
}

/** Where the MCP server and the backup job reach Neo4j: Bolt over TLS, verified. */
export function neo4jBoltUri(namespace: string): string {
  return `bolt+s://${serviceFqdn(NAMES.neo4j, namespace)}:${PORTS.bolt}`;
}

/** Host names the rate-limit store's certificate covers (the Service, however addressed). */
export function valkeyDnsNames(namespace: string): string[] {
  return [serviceHost(NAMES.valkey, namespace), serviceFqdn(NAMES.valkey, namespace)];
}

/** Where the MCP server reaches the in-cluster rate-limit store: TLS only. */
export function valkeyUrl(namespace: string): string {
  return `rediss://${serviceFqdn(NAMES.valkey, namespace)}:${PORTS.valkey}`;
}

/** The local platform's S3 endpoint (MinIO in the kit's namespace). */
export function objectStoreEndpoint(namespace: string): string {
  return `http://${serviceFqdn(NAMES.objectStore, namespace)}:${PORTS.objectStore}`;
}

/** The sandbox service's address, as the MCP server reaches it. */
export function sandboxUrl(namespace: string): string {
  return `http://${serviceFqdn(NAMES.sandbox, namespace)}:${PORTS.sandbox}`;
}

/** trust-manager copies the kit's CA bundle into namespaces carrying this label. */
export const TRUST_BUNDLE_LABEL = { "mcp-bastion.dev/trust-bundle": "enabled" } as const;

/** Where each pod finds its secrets and trust anchors, as files. */
export const SECRET_MOUNTS = {
  neo4j: "/var/run/secrets/mcp-bastion/neo4j",
  caBundle: "/etc/mcp-bastion/ca",
  serving: "/var/run/secrets/mcp-bastion/tls",
  /** Public keys only (authJwks); a ConfigMap, since nothing in it is secret. */
  jwks: "/etc/mcp-bastion/jwks",
  /** The backup job's S3 credentials (local platform). */
  objectStore: "/var/run/secrets/mcp-bastion/object-store",
  /** MinIO's own root credentials. */
  minio: "/var/run/secrets/minio",
  /** The MCP server's password for the shared rate-limit store. */
  rateLimitStore: "/var/run/secrets/mcp-bastion/rate-limit-store",
} as const;

/** What a Neo4j client of the kit mounts: the password file and the CA bundle Bolt TLS chains to. */
export function mountNeo4jClientFiles(scope: Construct, container: kplus.Container): void {
  mountSecretFiles(scope, container, SECRET_MOUNTS.neo4j, "neo4j-credentials", NAMES.neo4jCredentials, {
    password: "password",
  });
  container.mount(
    SECRET_MOUNTS.caBundle,
    kplus.Volume.fromConfigMap(
      scope,
      "ca-bundle",
      kplus.ConfigMap.fromConfigMapName(scope, "ca-bundle-map", NAMES.caBundle),
      { name: "ca-bundle", defaultMode: 0o444 },
    ),
    { readOnly: true },
  );
}
