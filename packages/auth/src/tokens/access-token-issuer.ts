import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { SIGNING_ALG } from '../keys/signing-key.ts';
import type { SigningKeys } from '../keys/signing-key-store.ts';

/** What an access token says about its subject (contract: docs/guides/authentication-and-authorization.md). */
export interface AccessTokenSubject {
  /** User id (UUID), or `service:<client_id>`. */
  readonly sub: string;
  readonly roles: readonly string[];
  /** OAuth-style scopes; omitted from the token when empty. */
  readonly scopes?: readonly string[];
  /** Always set for users; absent for service tokens. */
  readonly tenant?: string;
  readonly email?: string;
}

export interface IssuedAccessToken {
  readonly accessToken: string;
  /** Seconds until it expires. */
  readonly expiresIn: number;
}

export interface AccessTokenIssuerOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly ttlS: number;
}

/**
 * Signs access tokens: JWS compact, ES256, header `kid` and `typ: at+jwt`; claims iss, aud, sub,
 * iat, nbf (= iat), exp, jti, roles, scope, tenant, email.
 */
export class AccessTokenIssuer {
  readonly #keys: SigningKeys;
  readonly #options: AccessTokenIssuerOptions;

  constructor(keys: SigningKeys, options: AccessTokenIssuerOptions) {
    this.#keys = keys;
    this.#options = options;
  }

  async issue(subject: AccessTokenSubject): Promise<IssuedAccessToken> {
    const { issuer, audience, ttlS } = this.#options;
    const key = await this.#keys.current();
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = { roles: [...subject.roles] };
    if (subject.scopes && subject.scopes.length > 0) claims.scope = subject.scopes.join(' ');
    if (subject.tenant !== undefined) claims.tenant = subject.tenant;
    if (subject.email !== undefined) claims.email = subject.email;
    const accessToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: SIGNING_ALG, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(subject.sub)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttlS)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return { accessToken, expiresIn: ttlS };
  }
}
