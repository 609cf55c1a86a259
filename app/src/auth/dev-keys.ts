// Signing keys made on the operator's machine, generated once each:
// - the development key, which `npm run token -- mint` and a locally started server (`npm start`)
//   trust with no set-up, and which production refuses;
// - the local-cluster issuer key, whose public half a kind/k3d stack trusts through its authJwks
//   setting, so that `npm run token -- mint --issuer local-cluster` gives a token that stack
//   accepts. It is a key of its own: production still refuses the development key.
import { readFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from "jose";

export const DEV_KID_PREFIX = "mcp-bastion-dev-";
export const DEV_ISSUER = "urn:mcp-bastion:development";
export const DEV_ALGORITHM = "ES256";

export const LOCAL_CLUSTER_KID_PREFIX = "mcp-bastion-local-cluster-";
export const LOCAL_CLUSTER_ISSUER = "urn:mcp-bastion:local-cluster";

export interface DevKeyFiles {
  /** Public JWKS the server trusts. */
  jwksFile: string;
  /** Private JWK the token command signs with (mode 0600). */
  privateKeyFile: string;
}

function keyFiles(folder: string): DevKeyFiles {
  const cache =
    process.env.MCP_BASTION_CACHE ??
    path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), ".cache"), "mcp-bastion");
  const root =
    folder === "dev-keys" && process.env.MCP_BASTION_DEV_KEYS_DIR
      ? process.env.MCP_BASTION_DEV_KEYS_DIR
      : path.join(cache, folder);
  return { jwksFile: path.join(root, "jwks.json"), privateKeyFile: path.join(root, "private.jwk.json") };
}

export function devKeyFiles(): DevKeyFiles {
  return keyFiles("dev-keys");
}

/** Creates the key pair in `files` if it does not exist yet; its kid starts with `kidPrefix`. */
async function ensureKeys(files: DevKeyFiles, kidPrefix: string): Promise<DevKeyFiles> {
  try {
    await readFile(files.privateKeyFile);
    await readFile(files.jwksFile);
    return files;
  } catch {
    // first use: generate below
  }
  const { publicKey, privateKey } = await generateKeyPair(DEV_ALGORITHM, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = `${kidPrefix}${await calculateJwkThumbprint(publicJwk)}`;
  const common = { kid, alg: DEV_ALGORITHM, use: "sig" };
  await mkdir(path.dirname(files.jwksFile), { recursive: true, mode: 0o700 });
  await writeFile(files.privateKeyFile, JSON.stringify({ ...(await exportJWK(privateKey)), ...common }), {
    mode: 0o600,
  });
  await writeFile(files.jwksFile, JSON.stringify({ keys: [{ ...publicJwk, ...common }] }), { mode: 0o644 });
  return files;
}

/** Creates the development key pair if it does not exist yet. */
export function ensureDevKeys(): Promise<DevKeyFiles> {
  return ensureKeys(devKeyFiles(), DEV_KID_PREFIX);
}

/** Creates the local-cluster issuer's key pair if it does not exist yet. */
export function ensureLocalClusterKeys(): Promise<DevKeyFiles> {
  return ensureKeys(keyFiles("local-cluster-issuer"), LOCAL_CLUSTER_KID_PREFIX);
}

async function readPrivateKey(files: Promise<DevKeyFiles>): Promise<JWK & { kid: string }> {
  return JSON.parse(await readFile((await files).privateKeyFile, "utf8")) as JWK & { kid: string };
}

export function readDevPrivateKey(): Promise<JWK & { kid: string }> {
  return readPrivateKey(ensureDevKeys());
}

export function readLocalClusterPrivateKey(): Promise<JWK & { kid: string }> {
  return readPrivateKey(ensureLocalClusterKeys());
}

/** True when a JWKS holds the development key (by its kid). */
export function holdsDevelopmentKey(jwks: unknown): boolean {
  const keys = (jwks as { keys?: Array<{ kid?: unknown }> } | null)?.keys;
  return Array.isArray(keys) && keys.some((key) => typeof key?.kid === "string" && key.kid.startsWith(DEV_KID_PREFIX));
}

/** True when a JWKS file holds the development key (by its kid), whatever its path. */
export function isDevelopmentJwksFile(file: string): boolean {
  try {
    return holdsDevelopmentKey(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    return false;
  }
}
