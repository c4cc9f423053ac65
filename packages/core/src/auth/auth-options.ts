import type { JWTVerifyGetKey } from 'jose';
import type { ConfigProblem } from '../config/load-config.ts';
import { CoreErrors } from '../errors.ts';
import type { AsymmetricAlgorithm, JwtVerifierOptions } from './jwt-verifier.ts';
import { AUTH_MODES, type AuthMode } from './principal.ts';

/** `createService({ auth })`: how the service authenticates callers. */
export interface AuthOptions {
  /** Mode of routes that declare no `auth` (kit routes are always public). Default `'none'`. */
  default?: AuthMode;
  /**
   * A jose key resolver used instead of `JWT_JWKS_URL`, e.g. `createLocalJWKSet(jwks)` in the
   * service that issues the tokens.
   */
  keys?: JWTVerifyGetKey;
  /** Accepted algorithms (asymmetric only). Default: every asymmetric JWS algorithm. */
  algorithms?: readonly AsymmetricAlgorithm[];
  /** Expected `typ` header. Default `at+jwt` (RFC 9068); `null` skips the check. */
  tokenType?: string | null;
  /** After a JWKS fetch, how long an unknown `kid` waits before it may refetch. Default 30 000. */
  jwksCooldownMs?: number;
  /** Background JWKS refresh interval. Default 300 000 (the issuer's `max-age`). */
  jwksRefreshMs?: number;
  /** How long a verified token is remembered (never past its `exp`). Default 30 000; 0 = off. */
  cacheTtlMs?: number;
}

/** The `JWT_*` values of the core config. */
export interface JwtConfig {
  jwtJwksUrl?: string | undefined;
  jwtIssuer?: string | undefined;
  jwtAudience?: string | undefined;
  jwtClockToleranceS: number;
}

/**
 * Verifier options from config and `createService({ auth })`, or `undefined` when the service
 * has no key source (no `JWT_JWKS_URL`, no `auth.keys`). Throws `CONFIG_INVALID` when a key source
 * is set without `JWT_ISSUER`/`JWT_AUDIENCE` (a verifier that skips them accepts tokens minted
 * for any service by the same issuer, or by any issuer sharing keys), or when `auth.default`
 * needs tokens but there is no key source.
 */
export function jwtVerifierOptions(
  config: JwtConfig,
  auth: AuthOptions = {},
): Omit<JwtVerifierOptions, 'onJwksFetch'> | undefined {
  const defaultMode = auth.default ?? 'none';
  if (!AUTH_MODES.includes(defaultMode)) {
    throw CoreErrors.SERVICE_OPTIONS_INVALID({
      params: { reason: `auth.default must be one of ${AUTH_MODES.join(', ')}` },
    });
  }
  const hasKeys = config.jwtJwksUrl !== undefined || auth.keys !== undefined;
  if (!hasKeys) {
    if (defaultMode !== 'none') throw missingJwks(`auth.default is '${defaultMode}'`);
    return undefined;
  }
  const problems: ConfigProblem[] = [];
  const why = 'required when JWT_JWKS_URL (or auth.keys) is set';
  if (!config.jwtIssuer) problems.push({ variable: 'JWT_ISSUER', expected: `the tokens' iss (${why})` });
  if (!config.jwtAudience)
    problems.push({ variable: 'JWT_AUDIENCE', expected: `this service's aud (${why})` });
  if (problems.length > 0) throw configInvalid(problems);
  return {
    jwksUrl: config.jwtJwksUrl,
    keys: auth.keys,
    issuer: config.jwtIssuer as string,
    audience: config.jwtAudience as string,
    clockToleranceS: config.jwtClockToleranceS,
    algorithms: auth.algorithms,
    tokenType: auth.tokenType,
    jwksCooldownMs: auth.jwksCooldownMs,
    jwksRefreshMs: auth.jwksRefreshMs,
    cacheTtlMs: auth.cacheTtlMs,
  };
}

/** `CONFIG_INVALID` naming `JWT_JWKS_URL`, for a service that needs tokens but cannot verify them. */
export function missingJwks(because: string) {
  return configInvalid([
    { variable: 'JWT_JWKS_URL', expected: `the issuer's JWKS URL (http: https:), because ${because}` },
  ]);
}

function configInvalid(problems: ConfigProblem[]) {
  const summary = problems.map((p) => `${p.variable} is required: expected ${p.expected}`).join('; ');
  return CoreErrors.CONFIG_INVALID({ params: { summary }, details: { problems } });
}
