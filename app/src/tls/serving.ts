// HTTPS for the MCP port from rotating certificate files: new connections get the new pair as
// soon as it is read; connections already open keep theirs, so a rotation drops nothing.
import type { Server as TlsServer, SecureContextOptions } from "node:tls";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import { ConfigError } from "../config.js";
import { CertificateFileError, readCertificatePair, type CertificatePair } from "./certificate-files.js";
import { FileReloader } from "./file-reloader.js";

/** TLS 1.2 at least; Node's default cipher list otherwise (it excludes the weak suites). */
export const TLS_OPTIONS = { minVersion: "TLSv1.2" } as const satisfies SecureContextOptions;

/** HTTPS from rotating certificate files (MCP_TLS_*); config.ts maps the environment onto it. */
export interface TlsSettings {
  readonly certFile: string;
  readonly keyFile: string;
  readonly reloadIntervalMs: number;
}

/** Reads the pair the server starts with; a bad pair stops the start with a clear error. */
export async function initialCertificate(tls: TlsSettings): Promise<CertificatePair> {
  try {
    return await readCertificatePair(tls.certFile, tls.keyFile);
  } catch (error) {
    if (error instanceof CertificateFileError)
      throw new ConfigError(`MCP_TLS_CERT_FILE / MCP_TLS_KEY_FILE: ${error.message}`);
    throw error;
  }
}

/** Keeps `app`'s TLS context equal to the files; stop() it when the server closes. */
export function reloadCertificates(
  app: FastifyInstance,
  tls: TlsSettings,
  initial: CertificatePair,
  log: FastifyBaseLogger,
): FileReloader<CertificatePair> {
  const server = app.server as unknown as TlsServer;
  if (typeof server.setSecureContext !== "function") throw new Error("the MCP server is not serving TLS");
  const reloader = new FileReloader(initial, {
    files: [tls.certFile, tls.keyFile],
    load: () => readCertificatePair(tls.certFile, tls.keyFile),
    apply: (pair) => {
      server.setSecureContext({ ...TLS_OPTIONS, cert: pair.cert, key: pair.key });
      log.info(
        { fingerprint256: pair.fingerprint256, notAfter: pair.notAfter.toISOString() },
        "TLS certificate reloaded",
      );
    },
    intervalMs: tls.reloadIntervalMs,
    onError: (error) =>
      log.warn({ err: error }, "TLS certificate files not reloaded; serving the previous certificate"),
  });
  reloader.start();
  return reloader;
}
