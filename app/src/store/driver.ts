// The one Neo4j driver of the process. Integers come back as JS numbers: the app stores only
// timestamps and counters, all far below 2^53.
import neo4j, { type Config as DriverConfig, type Driver } from "neo4j-driver";

/** Where and as whom the server reaches Neo4j; config.ts maps the environment onto it. */
export interface Neo4jOptions {
  readonly uri: string;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** The CA bundle Bolt TLS chains to; unset: the system's trust store. */
  readonly caFile: string | undefined;
}
import { installChunkCursor } from "./chunked-reads.js";

/**
 * With a CA file the connection is encrypted and verified against that bundle, which the driver
 * reads again for every new connection: after the bundle rotates (trust-manager rewrites the
 * mounted file), new connections trust the new CAs while pooled ones keep their verified
 * sessions, so nothing in flight is dropped; and no connection outlives
 * CONNECTION_LIFETIME_MS, so every connection is verified against the current bundle within it.
 */
const CONNECTION_LIFETIME_MS = 30 * 60_000;

/** The URI and driver options that verify Bolt TLS against `caFile`; unchanged without one. */
export function trustOptions(uri: string, caFile: string | undefined): { uri: string; options: DriverConfig } {
  if (caFile === undefined) return { uri, options: {} };
  return {
    // The driver takes trust settings only with a plain scheme; "+s" becomes encryption on.
    uri: uri.replace(/^([a-z]+)\+s:/, "$1:"),
    options: {
      encrypted: "ENCRYPTION_ON",
      trust: "TRUST_CUSTOM_CA_SIGNED_CERTIFICATES",
      trustedCertificates: [caFile],
    },
  };
}

export function createDriver(config: Neo4jOptions): Driver {
  installChunkCursor();
  const { uri, options } = trustOptions(config.uri, config.caFile);
  return neo4j.driver(uri, neo4j.auth.basic(config.user, config.password), {
    disableLosslessIntegers: true,
    maxConnectionPoolSize: 50,
    maxConnectionLifetime: CONNECTION_LIFETIME_MS,
    connectionAcquisitionTimeout: 5_000,
    connectionTimeout: 5_000,
    maxTransactionRetryTime: 2_000,
    ...options,
  });
}
