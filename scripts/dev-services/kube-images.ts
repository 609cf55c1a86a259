// Images without a registry: buildah builds them daemonless (vfs storage, which needs no
// overlay mounts), `buildah push` writes a docker-archive into the cache once, and each node
// imports the archives into its containerd and refers to them by the digest containerd gives
// the manifest, so a pod spec names exactly the content it runs.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { cacheRoot, installOnce, runCommand } from "./toolchain.js";

/** buildah with storage of the kit's own (no daemon, no overlay mounts, nothing under /var/lib/containers). */
export async function buildah(args: readonly string[], options: { cwd?: string } = {}): Promise<string> {
  const store = path.join(cacheRoot(), "buildah");
  const { stdout } = await runCommand(
    "buildah",
    ["--root", path.join(store, "root"), "--runroot", path.join(store, "run"), "--storage-driver", "vfs", ...args],
    { cwd: options.cwd, env: { ...process.env, BUILDAH_ISOLATION: "chroot" } },
  );
  return stdout.trim();
}

export interface ImageArchive {
  /** The name inside the archive, and the repository the stack refers to by digest. */
  readonly name: string;
  readonly file: string;
}

/**
 * Builds an image once into the cache as a docker-archive: `build` gets a working container
 * of `from` (an image or "scratch") and a scratch directory, and sets it up; it is committed
 * as `name`.
 */
export async function buildImageArchive(
  cacheName: string,
  name: string,
  build: (container: string, scratch: string) => Promise<void>,
  from = "scratch",
): Promise<ImageArchive> {
  const dir = path.join(cacheRoot(), "images", cacheName);
  await installOnce(dir, async (staging) => {
    const container = await buildah(["from", "--pull-never", from]).catch(() => buildah(["from", from]));
    try {
      await build(container, staging);
      await buildah(["commit", "--quiet", container, name]);
    } finally {
      await buildah(["rm", container]).catch(() => undefined);
    }
    await pushArchive(name, path.join(staging, "image.tar"));
  });
  return { name, file: path.join(dir, "image.tar") };
}

/** Writes a local image as a docker-archive file that `ctr images import` accepts. */
export async function pushArchive(name: string, file: string): Promise<void> {
  await buildah(["push", "--quiet", name, `docker-archive:${file}:${name}`]);
  await buildah(["rmi", name]).catch(() => undefined);
}

const PAUSE_SOURCE = `package main

import (
	"os"
	"os/signal"
	"syscall"
)

// The sandbox's first process: it holds the pod's namespaces, reaps orphans and exits on TERM.
func main() {
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig == syscall.SIGCHLD {
			for {
				pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
			continue
		}
		os.Exit(0)
	}
}
`;

export const PAUSE_IMAGE = "localhost/mcp-bastion/pause:1";

/** The pod sandbox image: a static Go program, uid 65535. */
export function buildPauseImage(): Promise<ImageArchive> {
  return buildImageArchive("pause-1", PAUSE_IMAGE, async (container, scratch) => {
    const source = path.join(scratch, "src");
    await mkdir(source, { recursive: true });
    await writeFile(path.join(source, "main.go"), PAUSE_SOURCE);
    await writeFile(path.join(source, "go.mod"), "module pause\n\ngo 1.21\n");
    await runCommand("go", ["build", "-trimpath", "-ldflags", "-s -w", "-o", path.join(scratch, "pause"), "."], {
      cwd: source,
      env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: "" },
    });
    await buildah(["copy", container, path.join(scratch, "pause"), "/pause"]);
    await buildah(["config", "--entrypoint", '["/pause"]', "--user", "65535:65535", container]);
  });
}

/** An image of one static program: /<name> as its entrypoint, run as `user`. */
export function buildBinaryImage(
  cacheName: string,
  name: string,
  binary: string,
  user: string,
  entrypoint: string,
): Promise<ImageArchive> {
  return buildImageArchive(cacheName, name, async (container) => {
    await buildah(["copy", "--chmod", "0555", container, binary, entrypoint]);
    await buildah(["config", "--entrypoint", JSON.stringify([entrypoint]), "--user", user, container]);
  });
}
