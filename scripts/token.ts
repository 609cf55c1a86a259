// npm run token -- mint --sub alice --roles operator [--ttl 15m] [--aud URL]
// Prints a token signed by the local development key, which a locally started server trusts.
//
// Exit codes: 0 printed, 1 the development key could not be read or made, 2 bad arguments.
import { DEV_ISSUER, readDevPrivateKey } from "../app/src/auth/dev-keys.js";
import { mintToken } from "../app/src/auth/mint.js";
import { ROLES, isRole } from "../app/src/auth/roles.js";
import { parseOptions, runMain } from "./lib/cli.js";

const usage = `Usage: npm run token -- mint --sub NAME --roles ROLE[,ROLE] [--ttl 15m] [--aud URL] [--json]

Signs a token with the local development key (never trusted when NODE_ENV=production).

  --sub NAME     the token's subject
  --roles LIST   comma-separated roles: ${ROLES.join(", ")}
  --ttl SPAN     lifetime: 90s, 15m, 1h (default 15m, at most 1h)
  --aud URL      audience (default $MCP_RESOURCE_URL or http://127.0.0.1:8080/mcp)
  --json         print {"token": ..., "expiresAt": ...}

Exit codes: 0 printed, 1 the development key could not be read or made, 2 bad arguments.`;

export function parseTtl(span: string): number {
  const match = /^(\d+)(s|m|h)$/.exec(span);
  if (!match) throw new Error(`--ttl: '${span}' is not a span like 90s, 15m or 1h`);
  const seconds = Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as "s" | "m" | "h"];
  if (seconds < 1 || seconds > 3600) throw new Error("--ttl: must be between 1s and 1h");
  return seconds;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === undefined) {
    console.log(usage);
    return command === undefined ? 2 : 0;
  }
  if (command !== "mint") {
    console.error(`unknown command '${command}'\n\n${usage}`);
    return 2;
  }
  const parsed = parseOptions(
    { sub: { type: "string" }, roles: { type: "string" }, ttl: { type: "string", default: "15m" }, aud: { type: "string" }, json: { type: "boolean" } },
    usage,
    rest,
  );
  if (!("values" in parsed)) return parsed.exitCode;
  const { values } = parsed;
  let request;
  try {
    request = mintRequest(values);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const token = await mintToken(await readDevPrivateKey(), { ...request, issuer: DEV_ISSUER });
  const expiresAt = new Date(Date.now() + request.ttlSeconds * 1000).toISOString();
  console.log(values.json ? JSON.stringify({ token, expiresAt }) : token);
  return 0;
}

function mintRequest(values: { sub?: string; roles?: string; ttl?: string; aud?: string }) {
  if (!values.sub) throw new Error("--sub is required");
  if (!values.roles) throw new Error("--roles is required");
  const roles = values.roles.split(",").map((role) => role.trim());
  const unknown = roles.filter((role) => !isRole(role));
  if (unknown.length > 0) throw new Error(`--roles: unknown role(s) ${unknown.join(", ")}; known: ${ROLES.join(", ")}`);
  return {
    sub: values.sub,
    roles,
    ttlSeconds: parseTtl(values.ttl ?? "15m"),
    audience: values.aud || process.env.MCP_RESOURCE_URL || "http://127.0.0.1:8080/mcp",
  };
}

runMain(() => main(process.argv.slice(2)));
