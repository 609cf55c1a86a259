// Finding the bearer token of a request: the Authorization header only (RFC 6750 section 2.1).
import { AuthenticationError } from "./errors.js";

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/;
const TOKEN_PARAM = /^(access[_-]?token|id[_-]?token|token|jwt|bearer|auth|authorization)$/i;
const JWT_LIKE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]/;

/**
 * Refuses a token carried in the query string (it would land in access logs and browser
 * history): any parameter named like a token, or any value that looks like a JWT.
 */
export function assertNoTokenInQuery(url: string): void {
  const queryStart = url.indexOf("?");
  if (queryStart < 0) return;
  const query = url.slice(queryStart + 1);
  let decoded = query;
  try {
    decoded = decodeURIComponent(query);
  } catch {
    // keep the raw form; a malformed escape is checked as it is
  }
  for (const [name, value] of new URLSearchParams(query)) {
    if (TOKEN_PARAM.test(name) || JWT_LIKE.test(value)) {
      throw new AuthenticationError(
        "token_in_query",
        "tokens in the query string are refused; send Authorization: Bearer",
      );
    }
  }
  if (JWT_LIKE.test(decoded)) {
    throw new AuthenticationError(
      "token_in_query",
      "tokens in the query string are refused; send Authorization: Bearer",
    );
  }
}

/** The bearer token of the Authorization header. */
export function bearerToken(header: string | undefined): string {
  if (header === undefined || header === "")
    throw new AuthenticationError("missing_token", "an Authorization: Bearer token is required");
  const match = BEARER.exec(header);
  if (!match?.[1]) throw new AuthenticationError("malformed_header", "the Authorization header is not a Bearer token");
  return match[1];
}
