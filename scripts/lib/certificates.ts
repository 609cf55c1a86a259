// cert-manager Certificates as the operator sees them: a status table, and re-issuance
// triggered the way cmctl renew does it (the Issuing condition set True with reason
// ManuallyTriggered through the status subresource; the controller then issues anew).
import type { CustomObjectsApi } from "@kubernetes/client-node";

const GROUP = "cert-manager.io";
const VERSION = "v1";
const PLURAL = "certificates";

export interface CertificateCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export interface Certificate {
  metadata: { name: string; namespace: string; generation?: number; resourceVersion?: string };
  spec: { secretName?: string; duration?: string; renewBefore?: string };
  status?: { notAfter?: string; renewalTime?: string; revision?: number; conditions?: CertificateCondition[] };
}

export interface CertificateRow {
  namespace: string;
  name: string;
  secret: string;
  notAfter: string | null;
  renewalTime: string | null;
  ready: boolean;
  /** The Ready condition's reason and message when it is not True. */
  problem: string | null;
}

export async function listCertificates(api: CustomObjectsApi, namespace: string | undefined): Promise<Certificate[]> {
  const list = (
    namespace
      ? await api.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL })
      : await api.listCustomObjectForAllNamespaces({ group: GROUP, version: VERSION, plural: PLURAL })
  ) as { items?: Certificate[] };
  return (list.items ?? []).sort((a, b) =>
    `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`),
  );
}

export function certificateRow(certificate: Certificate): CertificateRow {
  const ready = certificate.status?.conditions?.find((condition) => condition.type === "Ready");
  return {
    namespace: certificate.metadata.namespace,
    name: certificate.metadata.name,
    secret: certificate.spec.secretName ?? "",
    notAfter: certificate.status?.notAfter ?? null,
    renewalTime: certificate.status?.renewalTime ?? null,
    ready: ready?.status === "True",
    problem:
      ready?.status === "True"
        ? null
        : ready
          ? `${ready.reason ?? "NotReady"}: ${ready.message ?? ""}`.trim()
          : "no Ready condition yet",
  };
}

export type RenewOutcome = "triggered" | "already-issuing";

/** Asks cert-manager to issue `certificate` again now; a certificate already being issued is left alone. */
export async function renewCertificate(
  api: CustomObjectsApi,
  certificate: Certificate,
  now = new Date(),
): Promise<RenewOutcome> {
  const conditions = certificate.status?.conditions ?? [];
  if (conditions.some((condition) => condition.type === "Issuing" && condition.status === "True"))
    return "already-issuing";
  const issuing: CertificateCondition = {
    type: "Issuing",
    status: "True",
    reason: "ManuallyTriggered",
    message: "Certificate re-issuance manually triggered",
    lastTransitionTime: now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    ...(certificate.metadata.generation !== undefined ? { observedGeneration: certificate.metadata.generation } : {}),
  };
  // A full update of the status (with the resourceVersion read), as cmctl does: a concurrent
  // change by the controller makes it fail with a conflict instead of being overwritten.
  await api.replaceNamespacedCustomObjectStatus({
    group: GROUP,
    version: VERSION,
    namespace: certificate.metadata.namespace,
    plural: PLURAL,
    name: certificate.metadata.name,
    body: {
      ...certificate,
      status: {
        ...certificate.status,
        conditions: [...conditions.filter((condition) => condition.type !== "Issuing"), issuing],
      },
    },
  });
  return "triggered";
}
