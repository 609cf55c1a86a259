// A small certificate authority for tests, made with the openssl command: a CA and server
// certificates it signs (P-256 keys), written as PEM files.
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { runCommand } from "./toolchain.js";

export interface TestCa {
  certFile: string;
  keyFile: string;
  dir: string;
}

export interface IssuedCertificate {
  certFile: string;
  keyFile: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await runCommand("openssl", args, { cwd });
}

export async function createTestCa(dir: string, commonName = "mcp-bastion test CA"): Promise<TestCa> {
  await mkdir(dir, { recursive: true });
  const ca = { dir, certFile: path.join(dir, "ca.crt"), keyFile: path.join(dir, "ca.key") };
  await openssl(
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      ca.keyFile,
      "-out",
      ca.certFile,
      "-days",
      "2",
      "-subj",
      `/CN=${commonName}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    dir,
  );
  return ca;
}

/** A P-256 key and a one-day certificate for `subject` with `extensions`, signed by `ca`. */
async function issue(ca: TestCa, name: string, subject: string, extensions: string): Promise<IssuedCertificate> {
  const base = path.join(ca.dir, name);
  await writeFile(`${base}.ext`, extensions);
  await openssl(
    [
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      `${base}.key`,
      "-out",
      `${base}.csr`,
      "-subj",
      subject,
    ],
    ca.dir,
  );
  await openssl(
    [
      "x509",
      "-req",
      "-in",
      `${base}.csr`,
      "-CA",
      ca.certFile,
      "-CAkey",
      ca.keyFile,
      "-set_serial",
      `0x${randomBytes(12).toString("hex")}`,
      "-days",
      "1",
      "-out",
      `${base}.crt`,
      "-extfile",
      `${base}.ext`,
    ],
    ca.dir,
  );
  return { certFile: `${base}.crt`, keyFile: `${base}.key` };
}

/** A server certificate for 127.0.0.1 and localhost (and `moreIps`), signed by `ca`, written under `name`. */
export function issueServerCertificate(
  ca: TestCa,
  name: string,
  moreIps: readonly string[] = [],
): Promise<IssuedCertificate> {
  const names = ["IP:127.0.0.1", "DNS:localhost", ...moreIps.map((ip) => `IP:${ip}`)].join(",");
  return issue(
    ca,
    name,
    `/CN=${name}`,
    `subjectAltName=${names}\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n`,
  );
}

/** A client certificate (CN = user, O = group) signed by `ca`, for a kubeconfig user. */
export function issueClientCertificate(ca: TestCa, name: string, organization: string): Promise<IssuedCertificate> {
  return issue(
    ca,
    name,
    `/O=${organization}/CN=${name}`,
    "extendedKeyUsage=clientAuth\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n",
  );
}

/** An RSA key pair for signing service-account tokens: the private key and its public half. */
export async function createSigningKeyPair(
  dir: string,
  name: string,
): Promise<{ privateKeyFile: string; publicKeyFile: string }> {
  const privateKeyFile = path.join(dir, `${name}.key`);
  const publicKeyFile = path.join(dir, `${name}.pub`);
  await openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", privateKeyFile], dir);
  await openssl(["pkey", "-in", privateKeyFile, "-pubout", "-out", publicKeyFile], dir);
  return { privateKeyFile, publicKeyFile };
}
