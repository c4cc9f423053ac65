import type { Metrics } from '../metrics/metrics.ts';
import { type AuthOptions, type JwtConfig, jwtVerifierOptions } from './auth-options.ts';
import { createJwtVerifier } from './jwt-verifier.ts';
import { RouteAccess } from './route-access.ts';

/**
 * The service's auth: a JWT verifier when `JWT_JWKS_URL` (or `auth.keys`) is set, and the
 * per-route access resolution. Throws `CONFIG_INVALID` at `createService` for incomplete JWT config.
 * JWKS requests are counted in `auth_jwks_fetches_total{outcome}`.
 */
export function createServiceAuth(
  config: JwtConfig,
  auth: AuthOptions | undefined,
  realm: string,
  metrics: Metrics,
): RouteAccess {
  const options = jwtVerifierOptions(config, auth);
  if (options === undefined) return new RouteAccess({ verifier: undefined, realm });
  const fetches = metrics.counter({
    name: 'auth_jwks_fetches_total',
    help: 'Requests for the token issuer signing keys (JWKS), by outcome',
    labelNames: ['outcome'] as const,
  });
  const verifier = createJwtVerifier({ ...options, onJwksFetch: (outcome) => fetches.inc({ outcome }) });
  return new RouteAccess({ verifier, defaultMode: auth?.default, realm });
}
