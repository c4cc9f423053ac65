import { randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  SignJWT,
} from 'jose';

/** Claims a test token may set; everything else follows the token contract. */
export interface TestTokenClaims {
  /** Default `['user']`. */
  roles?: string[];
  /** Default `'default'`; `null` leaves the claim out (as service tokens do). */
  tenant?: string | null;
  /** Space-separated scopes. */
  scope?: string;
  /** Default: a random UUID. */
  sub?: string;
}

/** `createTestIssuer()` options. */
export interface TestIssuerOptions {
  /** `iss` of its tokens. Default `http://auth.test`. */
  issuer?: string;
  /** `aud` of its tokens. Default `outrig-test`. */
  audience?: string;
}

/**
 * Signs access tokens as @outrig/auth does (ES256, `kid` = thumbprint, `typ: at+jwt`, `iss`,
 * `aud`, 15 minutes), in the test's process: no server, no database.
 */
export interface TestIssuer {
  /** `JWT_ISSUER` and `JWT_AUDIENCE` for a verifying service. */
  readonly env: { JWT_ISSUER: string; JWT_AUDIENCE: string };
  /** For `createService({ auth: { keys } })`: verifies this issuer's tokens without a JWKS URL. */
  readonly keys: JWTVerifyGetKey;
  /** The public key set, as a JWKS endpoint would serve it. */
  readonly jwks: JSONWebKeySet;
  /** A signed access token. */
  token(claims?: TestTokenClaims): Promise<string>;
}

/**
 * A token issuer for tests of services whose routes need a bearer token.
 *
 * @example
 * const issuer = await createTestIssuer();
 * const service = await createNotesService({ env: { ...issuer.env }, auth: { keys: issuer.keys } });
 * await service.app.inject({ url: '/api/v1/notes', headers: { authorization: `Bearer ${await issuer.token()}` } });
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const iss = options.issuer ?? 'http://auth.test';
  const aud = options.audience ?? 'outrig-test';
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const jwks: JSONWebKeySet = { keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] };
  return {
    env: { JWT_ISSUER: iss, JWT_AUDIENCE: aud },
    keys: createLocalJWKSet(jwks),
    jwks,
    token(claims = {}) {
      const tenant = claims.tenant === undefined ? 'default' : claims.tenant;
      return new SignJWT({
        roles: claims.roles ?? ['user'],
        ...(tenant === null ? {} : { tenant }),
        ...(claims.scope ? { scope: claims.scope } : {}),
      })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
        .setIssuer(iss)
        .setAudience(aud)
        .setSubject(claims.sub ?? randomUUID())
        .setJti(randomUUID())
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime('15m')
        .sign(privateKey);
    },
  };
}
