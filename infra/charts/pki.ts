// cert-manager issues and rotates every certificate of the kit: a self-signed root, a CA
// ClusterIssuer over it (or ACME for the public host), trust-manager distributing the root, and
// short-lived internal certificates. Every Certificate: ECDSA, rotationPolicy Always, explicit
// duration and renewBefore.
import { ApiObject, Chart } from "cdk8s";
import type { Construct } from "constructs";
import type { Settings } from "../config.js";
import { NAMES, objectLabels } from "./common.js";
import { TRUST_BUNDLE_LABEL, mcpDnsNames, neo4jDnsNames } from "./addresses.js";
import { valkeyDnsNames } from "./rate-limit-store.js";

export interface CertificateLifetime {
  duration: string;
  renewBefore: string;
}

/** Roots and intermediates: 90 days, renewed 30 days ahead. */
export const CA_LIFETIME: CertificateLifetime = { duration: "2160h", renewBefore: "720h" };
/** The public endpoint: 90 days (ACME's own), renewed 30 days ahead. */
export const PUBLIC_LIFETIME: CertificateLifetime = { duration: "2160h", renewBefore: "720h" };
/** Internal service certificates: a day, renewed a third of the way before expiry. */
export const INTERNAL_LIFETIME: CertificateLifetime = { duration: "24h", renewBefore: "8h" };

export function issuerNames(settings: Settings) {
  return {
    selfSigned: `${settings.namespace}-selfsigned`,
    rootCa: `${settings.namespace}-root-ca`,
    ca: `${settings.namespace}-ca`,
    acme: `${settings.namespace}-acme`,
  };
}

interface CertificateSpec extends CertificateLifetime {
  name: string;
  namespace: string;
  secretName: string;
  issuer: string;
  isCA?: boolean;
  commonName?: string;
  dnsNames?: string[];
  usages?: string[];
}

/** One cert-manager Certificate with the kit's fixed key and rotation settings. */
export function certificate(scope: Construct, spec: CertificateSpec): ApiObject {
  return new ApiObject(scope, `certificate-${spec.namespace}-${spec.name}`, {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: spec.name, namespace: spec.namespace },
    spec: {
      secretName: spec.secretName,
      secretTemplate: { labels: { "app.kubernetes.io/part-of": "mcp-bastion" } },
      duration: spec.duration,
      renewBefore: spec.renewBefore,
      privateKey: { algorithm: "ECDSA", size: 256, encoding: "PKCS8", rotationPolicy: "Always" },
      issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: spec.issuer },
      ...(spec.isCA ? { isCA: true } : {}),
      ...(spec.commonName ? { commonName: spec.commonName } : {}),
      ...(spec.dnsNames ? { dnsNames: spec.dnsNames } : {}),
      usages: spec.usages ?? (spec.isCA ? ["cert sign", "crl sign"] : ["server auth", "digital signature"]),
    },
  });
}

export function clusterIssuer(scope: Construct, name: string, spec: Record<string, unknown>): ApiObject {
  return new ApiObject(scope, `issuer-${name}`, {
    apiVersion: "cert-manager.io/v1",
    kind: "ClusterIssuer",
    metadata: { name },
    spec,
  });
}

export class PkiChart extends Chart {
  constructor(scope: Construct, id: string, settings: Settings) {
    super(scope, id, { labels: objectLabels("platform") });
    const issuers = issuerNames(settings);

    clusterIssuer(this, issuers.selfSigned, { selfSigned: {} });
    // cert-manager reads a ClusterIssuer's CA secret from its own namespace.
    certificate(this, {
      name: issuers.rootCa,
      namespace: settings.certManagerNamespace,
      secretName: issuers.rootCa,
      issuer: issuers.selfSigned,
      isCA: true,
      commonName: `${settings.namespace} root CA`,
      ...CA_LIFETIME,
    });
    clusterIssuer(this, issuers.ca, { ca: { secretName: issuers.rootCa } });

    if (settings.publicIssuer === "acme") {
      clusterIssuer(this, issuers.acme, {
        acme: {
          server: settings.acmeServer,
          email: settings.acmeEmail,
          privateKeySecretRef: { name: `${issuers.acme}-account` },
          solvers: [{ http01: { ingress: { ingressClassName: settings.ingressClassName } } }],
        },
      });
    }
    certificate(this, {
      name: NAMES.publicTls,
      namespace: settings.namespace,
      secretName: NAMES.publicTls,
      issuer: settings.publicIssuer === "acme" ? issuers.acme : issuers.ca,
      dnsNames: [settings.mcpHost],
      ...PUBLIC_LIFETIME,
    });
    certificate(this, {
      name: NAMES.neo4jTls,
      namespace: settings.namespace,
      secretName: NAMES.neo4jTls,
      issuer: issuers.ca,
      dnsNames: neo4jDnsNames(settings.namespace),
      ...INTERNAL_LIFETIME,
    });

    if (settings.rateLimitStore === "valkey") {
      certificate(this, {
        name: NAMES.valkeyTls,
        namespace: settings.namespace,
        secretName: NAMES.valkeyTls,
        issuer: issuers.ca,
        dnsNames: valkeyDnsNames(settings),
        ...INTERNAL_LIFETIME,
      });
    }

    // The ingress controller sits outside the mesh, so Linkerd's mTLS does not cover its hop to
    // the MCP pod: the pod serves TLS itself and the controller verifies it against the kit's CA.
    certificate(this, {
      name: NAMES.mcpTls,
      namespace: settings.namespace,
      secretName: NAMES.mcpTls,
      issuer: issuers.ca,
      dnsNames: mcpDnsNames(settings.namespace),
      ...INTERNAL_LIFETIME,
    });
    // ingress-nginx reads the CA to verify with from the same Secret as its client certificate
    // (proxy-ssl-secret); a Secret of its own keeps the server's key out of the controller.
    certificate(this, {
      name: NAMES.ingressClientTls,
      namespace: settings.namespace,
      secretName: NAMES.ingressClientTls,
      issuer: issuers.ca,
      commonName: `${settings.ingressNamespace} ingress controller`,
      usages: ["client auth", "digital signature"],
      ...INTERNAL_LIFETIME,
    });

    // trust-manager puts the root (never its key) into a ConfigMap in the kit's namespace.
    new ApiObject(this, "ca-bundle", {
      apiVersion: "trust.cert-manager.io/v1alpha1",
      kind: "Bundle",
      metadata: { name: NAMES.caBundle },
      spec: {
        sources: [{ secret: { name: issuers.rootCa, key: "ca.crt" } }],
        target: { configMap: { key: "ca.crt" }, namespaceSelector: { matchLabels: TRUST_BUNDLE_LABEL } },
      },
    });
  }
}
