// The local development signing key: generated once per machine so that `npm run token -- mint`
// and a locally started server trust each other with no set-up. Production refuses it.
import { readFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";

export const DEV_KID_PREFIX = "mcp-bastion-dev-";
export const DEV_ISSUER = "urn:mcp-bastion:development";
export const DEV_ALGORITHM = "ES256";

export interface DevKeyFiles {
  /** Public JWKS the server trusts. */
  jwksFile: string;
  /** Private JWK the token command signs with (mode 0600). */
  privateKeyFile: string;
}

export function devKeyFiles(): DevKeyFiles {
  const root = process.env.MCP_BASTION_DEV_KEYS_DIR
    ?? path.join(process.env.MCP_BASTION_CACHE ?? path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), ".cache"), "mcp-bastion"), "dev-keys");
  return { jwksFile: path.join(root, "jwks.json"), privateKeyFile: path.join(root, "private.jwk.json") };
}

/** Creates the development key pair if it does not exist yet. */
export async function ensureDevKeys(): Promise<DevKeyFiles> {
  const files = devKeyFiles();
  try {
    await readFile(files.privateKeyFile);
    await readFile(files.jwksFile);
    return files;
  } catch {
    // first use: generate below
  }
  const { publicKey, privateKey } = await generateKeyPair(DEV_ALGORITHM, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = `${DEV_KID_PREFIX}${await calculateJwkThumbprint(publicJwk)}`;
  const common = { kid, alg: DEV_ALGORITHM, use: "sig" };
  await mkdir(path.dirname(files.jwksFile), { recursive: true, mode: 0o700 });
  await writeFile(files.privateKeyFile, JSON.stringify({ ...(await exportJWK(privateKey)), ...common }), { mode: 0o600 });
  await writeFile(files.jwksFile, JSON.stringify({ keys: [{ ...publicJwk, ...common }] }), { mode: 0o644 });
  return files;
}

export async function readDevPrivateKey(): Promise<JWK & { kid: string }> {
  const { privateKeyFile } = await ensureDevKeys();
  return JSON.parse(await readFile(privateKeyFile, "utf8")) as JWK & { kid: string };
}

/** True when a JWKS file holds the development key (by its kid), whatever its path. */
export function isDevelopmentJwksFile(file: string): boolean {
  try {
    const jwks = JSON.parse(readFileSync(file, "utf8")) as { keys?: Array<{ kid?: unknown }> };
    return (jwks.keys ?? []).some((key) => typeof key.kid === "string" && key.kid.startsWith(DEV_KID_PREFIX));
  } catch {
    return false;
  }
}
