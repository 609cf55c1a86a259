// pino options for fastify: JSON lines, credentials redacted wherever they might appear.
import type { FastifyServerOptions } from "fastify";
import { sanitizeText } from "../guards/log-sanitizer.js";

export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  "*.token",
  "*.password",
  "*.secret",
  "*.authorization",
];

export function loggerOptions(level: string): FastifyServerOptions["logger"] {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    serializers: {
      // The URL is logged without its query string: a query is attacker-controlled and may
      // carry a token the server refuses.
      req: (request: { method: string; url: string; ip?: string }) => ({
        method: request.method,
        url: sanitizeText(request.url.split("?")[0] ?? "", 256),
        ip: request.ip,
      }),
    },
  };
}
