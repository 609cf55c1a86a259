// The server's certificate and key, read from files that cert-manager rotates (a mounted
// Secret). A pair is accepted only when both parse, the key belongs to the certificate and the
// certificate is within its validity: a half-written rotation or a wrong key is refused, and the
// server keeps serving the pair it has.
import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";

export interface CertificatePair {
  cert: Buffer;
  key: Buffer;
  /** SHA-256 fingerprint of the leaf certificate, as OpenSSL prints it. */
  fingerprint256: string;
  notAfter: Date;
  /** Digest of both files' bytes: tells a changed pair from a re-read of the same one. */
  digest: string;
}

export class CertificateFileError extends Error {
  override readonly name = "CertificateFileError";
}

export async function readCertificatePair(
  certFile: string,
  keyFile: string,
  now = new Date(),
): Promise<CertificatePair> {
  const [cert, key] = await Promise.all([
    readFile(certFile).catch((error: NodeJS.ErrnoException) => {
      throw new CertificateFileError(`cannot read the certificate file ${certFile} (${error.code ?? error.message})`);
    }),
    readFile(keyFile).catch((error: NodeJS.ErrnoException) => {
      throw new CertificateFileError(`cannot read the key file ${keyFile} (${error.code ?? error.message})`);
    }),
  ]);
  let leaf: X509Certificate;
  try {
    // The first certificate of the file is the leaf; the rest of the chain follows it.
    leaf = new X509Certificate(cert);
  } catch (error) {
    throw new CertificateFileError(`${certFile} holds no PEM certificate: ${(error as Error).message}`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new CertificateFileError(`${keyFile} holds no PEM private key: ${(error as Error).message}`);
  }
  if (!leaf.checkPrivateKey(privateKey))
    throw new CertificateFileError(`the key in ${keyFile} does not belong to the certificate in ${certFile}`);
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (now < notBefore)
    throw new CertificateFileError(`the certificate in ${certFile} is not valid before ${notBefore.toISOString()}`);
  if (now >= notAfter)
    throw new CertificateFileError(`the certificate in ${certFile} expired at ${notAfter.toISOString()}`);
  return {
    cert,
    key,
    fingerprint256: leaf.fingerprint256,
    notAfter,
    digest: createHash("sha256").update(cert).update("\0").update(key).digest("hex"),
  };
}
