import { createHmac } from 'node:crypto';
import type { TokenVariant } from './fuzz-request.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Claims a forger would want: an admin of some tenant, valid until 2100 (fixed, so requests reproduce). */
function adminClaims(): Record<string, unknown> {
  return {
    sub: 'forged-admin',
    roles: ['admin'],
    scope: 'admin',
    tenant: 'default',
    iat: 1_700_000_000,
    exp: 4_102_444_800,
  };
}

/**
 * The `Authorization` header for a token variant (`undefined`: none). Forged tokens: `alg: none`;
 * the given token's payload changed to an admin's with its signature kept (or, without one, an
 * ES256-looking token with a random signature); HS256 signed with a guessable secret (algorithm
 * confusion); a malformed bearer; another scheme.
 */
export function authorizationFor(variant: TokenVariant, given: string | undefined): string | undefined {
  switch (variant) {
    case 'none':
      return undefined;
    case 'given':
      return given === undefined ? undefined : `Bearer ${given}`;
    case 'malformed':
      return 'Bearer not.a.jwt';
    case 'wrong-scheme':
      return 'Basic YWRtaW46YWRtaW4=';
    case 'alg-none':
      return `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(adminClaims())}.`;
    case 'forged-signature': {
      const parts = given?.split('.');
      const claims = parts?.length === 3 ? payloadOf(parts[1]!) : undefined;
      if (parts && claims) return `Bearer ${parts[0]}.${b64({ ...claims, ...adminClaims() })}.${parts[2]}`;
      const signature = createHmac('sha512', 'forged')
        .update(given ?? '')
        .digest('base64url');
      return `Bearer ${b64({ alg: 'ES256', typ: 'JWT', kid: 'forged' })}.${b64(adminClaims())}.${signature}`;
    }
    case 'hs256': {
      const header = b64({ alg: 'HS256', typ: 'JWT' });
      const payload = b64(adminClaims());
      const signature = createHmac('sha256', 'secret').update(`${header}.${payload}`).digest('base64url');
      return `Bearer ${header}.${payload}.${signature}`;
    }
  }
}

/** The claims of a JWT payload segment, or `undefined` when it is not one (an opaque token). */
function payloadOf(segment: string): Record<string, unknown> | undefined {
  try {
    const claims = JSON.parse(Buffer.from(segment, 'base64url').toString()) as unknown;
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
