import type { JWTPayload } from 'jose';

/**
 * How a route treats callers: `required` answers 401 without a valid bearer token, `optional`
 * verifies a token when one is sent (an invalid one is still 401) and lets anonymous callers
 * through, `none` never looks at the `Authorization` header.
 */
export type AuthMode = 'required' | 'optional' | 'none';

/** The auth modes, for validation and docs. */
export const AUTH_MODES: readonly AuthMode[] = ['required', 'optional', 'none'];

/**
 * The verified caller of a request (`request.principal`), built from the access token's claims
 * (docs/architecture/0004-tokens-and-principals.md).
 */
export interface Principal {
  /** `sub`: a user id, or `service:<client_id>` for service tokens. */
  readonly subject: string;
  /** `roles` claim (`admin`, `user`, `service`…); empty when absent. */
  readonly roles: readonly string[];
  /** `scope` claim split on spaces; empty when absent. */
  readonly scopes: readonly string[];
  /** `tenant` claim; absent for service tokens. */
  readonly tenant?: string;
  /**
   * The raw bearer token, to call other services on the caller's behalf. Non-enumerable: it never
   * appears when the principal is logged or serialised.
   */
  readonly token: string;
  /** Every claim of the verified token. */
  readonly claims: JWTPayload;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller on routes with `auth: 'required' | 'optional'`; `undefined` otherwise. */
    principal: Principal | undefined;
  }
}

/**
 * Builds the (frozen) principal from verified claims. The token is attached non-enumerable.
 *
 * @example
 * const { payload } = await jwtVerify(token, keys, { issuer, audience });
 * const principal = principalFromClaims(payload, token);
 */
export function principalFromClaims(claims: JWTPayload, token: string): Principal {
  const principal = {
    subject: claims.sub as string,
    roles: Object.freeze(stringArray(claims.roles)),
    scopes: Object.freeze(scopesOf(claims)),
    ...(typeof claims.tenant === 'string' && claims.tenant !== '' ? { tenant: claims.tenant } : {}),
    claims,
  };
  Object.defineProperty(principal, 'token', { value: token, enumerable: false });
  return Object.freeze(principal) as Principal;
}

/**
 * The caller's bearer token, for propagating it on a call to another service made on the
 * caller's behalf; `undefined` for anonymous requests.
 *
 * @example
 * const token = callerToken(request);
 * await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
 */
export function callerToken(request: { principal?: Principal | undefined }): string | undefined {
  return request.principal?.token;
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** OAuth `scope` (space-separated string); `scp` (array) as some issuers send it. */
function scopesOf(claims: JWTPayload): string[] {
  if (typeof claims.scope === 'string') return claims.scope.split(' ').filter(Boolean);
  return stringArray(claims.scp);
}
