// Security headers on every response. helmet decides their values; it runs once at start
// against a recording response, and each request then gets that fixed set. (@fastify/helmet
// rebuilds the whole helmet middleware on every request, which measured ~3 % of a request's
// CPU on the /mcp path; these headers never vary per request here.)
import type { FastifyInstance } from "fastify";
import helmet from "helmet";

const HELMET_OPTIONS = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { "default-src": ["'none'"], "frame-ancestors": ["'none'"] },
  },
  hsts: { maxAge: 63_072_000, includeSubDomains: true, preload: true },
  referrerPolicy: { policy: "no-referrer" as const },
  crossOriginResourcePolicy: { policy: "same-origin" as const },
  frameguard: { action: "deny" as const },
};

// helmet has no Permissions-Policy; an API needs none of the browser's powerful features.
const PERMISSIONS_POLICY =
  "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), microphone=(), payment=(), usb=(), interest-cohort=()";

/** The headers helmet sets, read by running its middleware once on a recording response. */
export function securityHeaders(): Readonly<Record<string, string>> {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name.toLowerCase(), Array.isArray(value) ? value.join(", ") : String(value));
    },
    removeHeader(name: string) {
      headers.delete(name.toLowerCase());
    },
  };
  helmet(HELMET_OPTIONS)({} as never, recorder as never, (error?: unknown) => {
    if (error) throw error;
  });
  // Fail closed: a helmet that set nothing (an API change) must not start a bare server.
  for (const required of [
    "content-security-policy",
    "strict-transport-security",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
  ]) {
    if (!headers.has(required)) throw new Error(`helmet did not produce the ${required} header`);
  }
  headers.set("permissions-policy", PERMISSIONS_POLICY);
  return Object.freeze(Object.fromEntries(headers));
}

/** Puts the security headers on every response of `app`, refusals included. */
export function registerSecurityHeaders(app: FastifyInstance): void {
  const headers = securityHeaders();
  app.addHook("onRequest", (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
}
