// What every test server is given alike, whichever tier runs it: real signing keys (jose), the
// JWKS file that trusts them, tokens minted for its resource, and its log lines captured.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import pino from "pino";
import { mintToken, type MintOptions } from "../../src/auth/mint.js";
import { loggerOptions } from "../../src/telemetry/logger.js";

export const TEST_ISSUER = "https://issuer.example.test";

export interface SigningKey {
  privateJwk: JWK & { kid: string; alg: string };
  publicJwk: JWK & { kid: string; alg: string };
}

export interface TestKeys {
  es256: SigningKey;
  rs256: SigningKey;
}

export type MintRequest = Partial<MintOptions> & { sub: string; roles: readonly string[] };

async function signingKey(alg: "ES256" | "RS256", kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" },
  };
}

/** An ES256 and an RS256 key, kids test-es256 and test-rs256. */
export async function testKeys(): Promise<TestKeys> {
  return { es256: await signingKey("ES256", "test-es256"), rs256: await signingKey("RS256", "test-rs256") };
}

/** Writes the JWKS that trusts `keys` into `dir`; returns its path. */
export async function writeJwks(dir: string, keys: TestKeys): Promise<string> {
  const jwksFile = path.join(dir, "jwks.json");
  await writeFile(jwksFile, JSON.stringify({ keys: [keys.es256.publicJwk, keys.rs256.publicJwk] }));
  return jwksFile;
}

/** Mints tokens of TEST_ISSUER for `audience`, with the ES256 key unless told otherwise. */
export function minterFor(keys: TestKeys, audience: string) {
  return (options: MintRequest, key: SigningKey = keys.es256): Promise<string> =>
    mintToken(key.privateJwk, { issuer: TEST_ISSUER, audience, ttlSeconds: 600, ...options });
}

/** The server's logger, writing every line into `logs` as raw JSON text. */
export function capturedLogger(level: string): { logger: pino.Logger; logs: string[] } {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  });
  return { logger: pino(loggerOptions(level) as pino.LoggerOptions, sink), logs };
}
