// Authentication and authorization failures, each with a stable code. Messages are safe to log
// and to return: they never contain the token or any part of it.

export type AuthFailureReason =
  | "missing_token"
  | "token_in_query"
  | "malformed_header"
  | "token_too_large"
  | "invalid_token"
  | "expired"
  | "not_yet_valid"
  | "lifetime_too_long"
  | "revoked"
  | "unknown_key";

/** 401: the request did not prove who it is. */
export class AuthenticationError extends Error {
  override readonly name = "AuthenticationError";
  constructor(
    readonly reason: AuthFailureReason,
    message: string,
    /**
     * The sub of a token whose signature verified but which was refused anyway (expired,
     * revoked, wrong audience): only then does the failure belong to a user. A failure without
     * it says nothing about who sent the token, only where it came from.
     */
    readonly verifiedSub?: string,
  ) {
    super(message);
  }
}

/** 403: the caller is known but may not do this. */
export class AuthorizationError extends Error {
  override readonly name = "AuthorizationError";
  constructor(
    readonly reason: "no_valid_role" | "insufficient_scope" | "not_owner",
    message: string,
    /** The scope (role) that would have been enough, for WWW-Authenticate. */
    readonly requiredScope?: string,
  ) {
    super(message);
  }
}

/** 429: too many refused tokens from this source, or of this user; only refused tokens get it. */
export class LockedOutError extends Error {
  override readonly name = "LockedOutError";
  constructor(readonly retryAfterSeconds: number) {
    super("too many failed authentications; try again later");
  }
}

/** 503: the security state (revocations, lockouts) cannot be trusted right now. */
export class SecurityStoreUnavailableError extends Error {
  override readonly name = "SecurityStoreUnavailableError";
  constructor(message = "the security store is unavailable") {
    super(message);
  }
}
