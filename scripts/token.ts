// npm run token -- mint --sub alice --roles operator [--ttl 15m] [--aud URL] [--issuer dev|local-cluster]
// npm run token -- local-cluster-issuer
// Prints a token signed by the local development key, which a locally started server trusts, or
// by the local-cluster issuer key, which a kind/k3d stack trusts once its settings name it.
//
// Exit codes: 0 printed, 1 a key could not be read or made, 2 bad arguments.
import { readFile } from "node:fs/promises";
import {
  DEV_ISSUER,
  LOCAL_CLUSTER_ISSUER,
  ensureLocalClusterKeys,
  readDevPrivateKey,
  readLocalClusterPrivateKey,
} from "../app/src/auth/dev-keys.js";
import { mintToken } from "../app/src/auth/mint.js";
import { ROLES, isRole } from "../app/src/access/roles.js";
import { parseOptions, runMain, usageProblem, wantsHelp } from "./lib/cli.js";

const usage = `usage: npm run token -- mint --sub NAME --roles ROLE[,ROLE] [--ttl 15m] [--aud URL] [--issuer dev|local-cluster] [--json]
       npm run token -- local-cluster-issuer [--json]

mint signs a token granting the roles as the OAuth scopes mcp:<role>:
  --sub NAME     the token's subject
  --roles LIST   comma-separated roles: ${ROLES.join(", ")}
  --ttl SPAN     lifetime: 90s, 15m, 1h (default 15m, at most 1h)
  --aud URL      audience (default $MCP_RESOURCE_URL or http://127.0.0.1:8080/mcp)
  --issuer NAME  dev (default): the development key, which npm start trusts and production
                 never does; local-cluster: the local-cluster issuer key (see below)
  --json         print {"token": ..., "expiresAt": ...}

local-cluster-issuer prints the stack settings that make a kind/k3d stack trust the
local-cluster issuer key (created on first use, kept in the cache), for pulumi config set.

Exit codes: 0 printed, 1 a key could not be read or made, 2 bad arguments.`;

const ISSUERS = {
  dev: { issuer: DEV_ISSUER, key: readDevPrivateKey },
  "local-cluster": { issuer: LOCAL_CLUSTER_ISSUER, key: readLocalClusterPrivateKey },
} as const;

/** The settings a stack needs to trust the local-cluster issuer, as pulumi config commands. */
async function localClusterSettings(json: boolean): Promise<string> {
  const jwks = JSON.stringify(JSON.parse(await readFile((await ensureLocalClusterKeys()).jwksFile, "utf8")));
  if (json) return JSON.stringify({ authIssuer: LOCAL_CLUSTER_ISSUER, authJwks: jwks });
  return [
    `pulumi config set authIssuer ${LOCAL_CLUSTER_ISSUER}`,
    `pulumi config set authJwks '${jwks}'`,
    "pulumi config rm authJwksUrl",
  ].join("\n");
}

export function parseTtl(span: string): number {
  const match = /^(\d+)(s|m|h)$/.exec(span);
  if (!match) throw new Error(`--ttl: '${span}' is not a span like 90s, 15m or 1h`);
  const seconds = Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as "s" | "m" | "h"];
  if (seconds < 1 || seconds > 3600) throw new Error("--ttl: must be between 1s and 1h");
  return seconds;
}

async function main(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(usage);
    return 0;
  }
  const [command, ...rest] = argv;
  if (command === "local-cluster-issuer") {
    const parsed = parseOptions({ json: { type: "boolean" } }, usage, rest);
    if ("exitCode" in parsed) return parsed.exitCode;
    console.log(await localClusterSettings(parsed.values.json === true));
    return 0;
  }
  if (command !== "mint") {
    return usageProblem(
      usage,
      command === undefined
        ? "a command is needed: mint or local-cluster-issuer"
        : `unknown command ${JSON.stringify(command)}`,
    );
  }
  const parsed = parseOptions(
    {
      sub: { type: "string" },
      roles: { type: "string" },
      ttl: { type: "string", default: "15m" },
      aud: { type: "string" },
      issuer: { type: "string", default: "dev" },
      json: { type: "boolean" },
    },
    usage,
    rest,
  );
  if (!("values" in parsed)) return parsed.exitCode;
  const { values } = parsed;
  let request;
  try {
    request = mintRequest(values);
  } catch (error) {
    return usageProblem(usage, (error as Error).message);
  }
  const issuer = ISSUERS[request.issuer];
  const token = await mintToken(await issuer.key(), { ...request, issuer: issuer.issuer });
  const expiresAt = new Date(Date.now() + request.ttlSeconds * 1000).toISOString();
  console.log(values.json ? JSON.stringify({ token, expiresAt }) : token);
  return 0;
}

function mintRequest(values: { sub?: string; roles?: string; ttl?: string; aud?: string; issuer?: string }) {
  if (!values.sub) throw new Error("--sub is required");
  const issuer = values.issuer ?? "dev";
  if (!Object.hasOwn(ISSUERS, issuer))
    throw new Error(`--issuer: '${issuer}' is not one of ${Object.keys(ISSUERS).join(", ")}`);
  if (!values.roles) throw new Error("--roles is required");
  const roles = values.roles.split(",").map((role) => role.trim());
  const unknown = roles.filter((role) => !isRole(role));
  if (unknown.length > 0) throw new Error(`--roles: unknown role(s) ${unknown.join(", ")}; known: ${ROLES.join(", ")}`);
  return {
    sub: values.sub,
    issuer: issuer as keyof typeof ISSUERS,
    roles,
    ttlSeconds: parseTtl(values.ttl ?? "15m"),
    audience: values.aud || process.env.MCP_RESOURCE_URL || "http://127.0.0.1:8080/mcp",
  };
}

runMain(() => main(process.argv.slice(2)));
