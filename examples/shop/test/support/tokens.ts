import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestIssuer, type TestTokenClaims } from '@outrig/testing';

/** The shop's issuer and audience (auth-service's defaults, docs/guides/authentication-and-authorization.md). */
export const SHOP_ISSUER = 'http://127.0.0.1:8001';
export const SHOP_AUDIENCE = 'outrig-shop';

/** Claims a test token may set; everything else follows the token contract. */
export type TestClaims = TestTokenClaims;

/**
 * A stand-in for auth-service in tests: one ES256 key, its JWKS on a local HTTP server, and
 * tokens signed exactly as auth-service signs them (`kid` = thumbprint, `typ: at+jwt`, `iss`,
 * `aud`, 15 minutes). Give {@link TestIssuer.env} to every service under test.
 */
export interface TestIssuer {
  /** `JWT_JWKS_URL`, `JWT_ISSUER`, `JWT_AUDIENCE` for a verifying service. */
  readonly env: { JWT_JWKS_URL: string; JWT_ISSUER: string; JWT_AUDIENCE: string };
  /** A signed access token. */
  token(claims?: TestClaims): Promise<string>;
  /** An `admin` of `tenant` (default `default`). */
  admin(tenant?: string): Promise<string>;
  /** A `user` of `tenant`. */
  user(tenant: string): Promise<string>;
  /** A service token: role `service`, no tenant. */
  service(clientId?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts a JWKS server on a free loopback port and returns the issuer.
 *
 * @example
 * const issuer = await startTestIssuer();
 * const service = await createInventoryService({ env: { ...issuer.env, LOG_LEVEL: 'silent' } });
 * await service.app.inject({ method: 'POST', url: '/api/v2/products', payload,
 *   headers: bearer(await issuer.admin()) });
 */
export async function startTestIssuer(): Promise<TestIssuer> {
  // The signing is @outrig/testing's (as @outrig/auth signs); here it gets the shop's iss/aud and
  // its JWKS on a real HTTP server, as services fetch auth-service's.
  const issuer = await createTestIssuer({ issuer: SHOP_ISSUER, audience: SHOP_AUDIENCE });
  const jwks = JSON.stringify(issuer.jwks);
  const server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' });
    res.end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const token = (claims: TestClaims = {}) => issuer.token(claims);
  return {
    env: {
      JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      ...issuer.env,
    },
    token,
    admin: (tenant = 'default') => token({ roles: ['admin'], tenant }),
    user: (tenant) => token({ roles: ['user'], tenant }),
    service: (clientId = 'test-client') =>
      token({ roles: ['service'], tenant: null, sub: `service:${clientId}` }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** `{ authorization: 'Bearer …' }` for fetch or inject. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}
