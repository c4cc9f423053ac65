import type { JWTVerifyGetKey, RemoteJWKSet } from 'jose';
import type { OutrigError } from '../errors/outrig-error.ts';
import { CoreErrors } from '../errors.ts';
import { type Principal, principalFromClaims } from './principal.ts';
import { VerificationCache } from './verification-cache.ts';

/**
 * Asymmetric JWS algorithms a verifier may accept. Symmetric (`HS*`) and `none` are never
 * accepted: a service that can verify an HMAC token can also forge one, and a verifier that
 * accepts both families is open to algorithm confusion (an HS256 token "signed" with the public key).
 */
export const ASYMMETRIC_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
] as const;

/** One of {@link ASYMMETRIC_ALGORITHMS}. */
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

/** Options of {@link createJwtVerifier}; defaults in {@link JWT_VERIFIER_DEFAULTS}. */
export interface JwtVerifierOptions {
  /** JWKS endpoint of the issuer (`JWT_JWKS_URL`). One of `jwksUrl` and `keys` is required. */
  jwksUrl?: string;
  /** A jose key resolver used instead of a JWKS URL (`createLocalJWKSet`, e.g. in the issuer itself). */
  keys?: JWTVerifyGetKey;
  /** Expected `iss` (`JWT_ISSUER`). */
  issuer: string;
  /** Expected `aud` (`JWT_AUDIENCE`). */
  audience: string;
  /** Leeway for `exp`/`nbf`/`iat`, in seconds (`JWT_CLOCK_TOLERANCE_S`). */
  clockToleranceS?: number;
  /** Accepted algorithms, a subset of {@link ASYMMETRIC_ALGORITHMS}. */
  algorithms?: readonly AsymmetricAlgorithm[];
  /** Expected `typ` header (RFC 9068 access tokens: `at+jwt`); `null` skips the check. */
  tokenType?: string | null;
  /** After a JWKS fetch, how long an unknown `kid` must wait before it can trigger another one. */
  jwksCooldownMs?: number;
  /** How often the JWKS is refreshed in the background (stale keys keep working meanwhile). */
  jwksRefreshMs?: number;
  /** Timeout of one JWKS request. */
  jwksTimeoutMs?: number;
  /** How long a verified token is remembered (bounded by its `exp`); `0` verifies every time. */
  cacheTtlMs?: number;
  /** Most tokens remembered at once. */
  cacheSize?: number;
  /** Called after each JWKS request (metrics, tests). */
  onJwksFetch?: (outcome: 'ok' | 'error') => void;
}

type DefaultedOption =
  | 'clockToleranceS'
  | 'algorithms'
  | 'tokenType'
  | 'jwksCooldownMs'
  | 'jwksRefreshMs'
  | 'jwksTimeoutMs'
  | 'cacheTtlMs'
  | 'cacheSize';

type Resolved = JwtVerifierOptions & Required<Pick<JwtVerifierOptions, DefaultedOption>>;

/** Defaults of {@link JwtVerifierOptions}. */
export const JWT_VERIFIER_DEFAULTS: Readonly<Required<Pick<JwtVerifierOptions, DefaultedOption>>> = {
  clockToleranceS: 5,
  algorithms: ASYMMETRIC_ALGORITHMS,
  tokenType: 'at+jwt',
  jwksCooldownMs: 30_000,
  jwksRefreshMs: 300_000,
  jwksTimeoutMs: 5_000,
  cacheTtlMs: 30_000,
  cacheSize: 10_000,
};

/** Verifies bearer tokens into principals. */
export interface JwtVerifier {
  /**
   * Resolves with the token's principal. Rejects with `UNAUTHENTICATED` for any token problem
   * (signature, algorithm, claims, time, unknown key) and `AUTH_KEYS_UNAVAILABLE` when the JWKS
   * cannot be fetched. The reason is in the error's `cause` (for logs), never in its message.
   */
  verify(token: string): Promise<Principal>;
}

// Key-resolution failures that say something about the token rather than about the JWKS endpoint.
const TOKEN_KEY_ERRORS = new Set([
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JOSE_NOT_SUPPORTED',
]);

class KeysUnavailable extends Error {}

/**
 * A JWT verifier over a JWKS URL (jose `createRemoteJWKSet`: keys cached, an unknown `kid`
 * refetches the set at most once per cooldown, concurrent misses share one fetch) or a given key
 * resolver. Checks signature, `alg` against an asymmetric allow-list, `typ`, `iss`, `aud`, `exp`,
 * `nbf` with clock tolerance, and requires `sub` and `exp`. jose loads on the first verification.
 *
 * @example
 * const verifier = createJwtVerifier({
 *   jwksUrl: 'http://127.0.0.1:8001/.well-known/jwks.json',
 *   issuer: 'http://127.0.0.1:8001',
 *   audience: 'outrig-shop',
 * });
 * const principal = await verifier.verify(token);
 */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const o = { ...JWT_VERIFIER_DEFAULTS, ...withoutUndefined(options) } as Resolved;
  validate(o);
  const cache = new VerificationCache(o.cacheTtlMs, o.cacheSize);
  let resolver: Promise<{ jose: typeof import('jose'); getKey: JWTVerifyGetKey }> | undefined;
  const verifyOptions = {
    issuer: o.issuer,
    audience: o.audience,
    clockTolerance: o.clockToleranceS,
    algorithms: [...o.algorithms],
    requiredClaims: ['sub', 'exp'],
    ...(o.tokenType === null ? {} : { typ: o.tokenType }),
  };

  async function load() {
    const jose = await import('jose');
    if (o.keys) return { jose, getKey: guardKeys(o.keys) };
    return { jose, getKey: guardKeys(remoteKeys(jose, o)) };
  }

  return {
    async verify(token) {
      const cached = cache.get(token);
      if (cached) return cached;
      resolver ??= load();
      const { jose, getKey } = await resolver;
      try {
        const { payload } = await jose.jwtVerify(token, getKey, verifyOptions);
        const principal = principalFromClaims(payload, token);
        cache.set(token, principal, (payload.exp as number) * 1000);
        return principal;
      } catch (err) {
        throw toAuthError(err);
      }
    },
  };
}

/** The remote JWKS, never expiring in jose itself: refreshed in the background instead. */
function remoteKeys(jose: typeof import('jose'), o: Resolved): JWTVerifyGetKey {
  let fetchedAt = 0;
  const onFetch = o.onJwksFetch;
  const remote: RemoteJWKSet = jose.createRemoteJWKSet(new URL(o.jwksUrl as string), {
    cooldownDuration: o.jwksCooldownMs,
    // Keys never go stale inside jose: a blocking refetch of a stale set would fail every request
    // while the issuer is down. `refreshing` revalidates in the background instead.
    cacheMaxAge: Number.POSITIVE_INFINITY,
    timeoutDuration: o.jwksTimeoutMs,
    [jose.customFetch]: async (url: string, init: RequestInit) => {
      try {
        const res = await fetch(url, init);
        if (res.status === 200) fetchedAt = Date.now();
        onFetch?.(res.status === 200 ? 'ok' : 'error');
        return res;
      } catch (err) {
        onFetch?.('error');
        throw err;
      }
    },
  });
  return (header, input) => {
    if (fetchedAt !== 0 && Date.now() - fetchedAt > o.jwksRefreshMs && !remote.reloading) {
      fetchedAt = Date.now(); // one background attempt per interval, even when it fails
      remote.reload().catch(() => {});
    }
    return remote(header, input);
  };
}

/** Marks failures of the key source itself (network, timeout, bad JWKS) as such. */
function guardKeys(getKey: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, input) => {
    try {
      return await getKey(header, input);
    } catch (err) {
      if (TOKEN_KEY_ERRORS.has((err as { code?: string }).code ?? '')) throw err;
      throw new KeysUnavailable('JWKS unavailable', { cause: err });
    }
  };
}

function toAuthError(err: unknown): OutrigError {
  if (err instanceof KeysUnavailable) return CoreErrors.AUTH_KEYS_UNAVAILABLE({ cause: err.cause });
  return CoreErrors.UNAUTHENTICATED({ cause: err });
}

function validate(o: Resolved): void {
  const problems: string[] = [];
  if (!o.jwksUrl && !o.keys) problems.push('one of jwksUrl and keys is required');
  if (!o.issuer) problems.push('issuer is required');
  if (!o.audience) problems.push('audience is required');
  const allowed: readonly string[] = ASYMMETRIC_ALGORITHMS;
  const bad = o.algorithms.filter((a) => !allowed.includes(a));
  if (bad.length > 0 || o.algorithms.length === 0) {
    problems.push(`algorithms must be a non-empty subset of ${ASYMMETRIC_ALGORITHMS.join(', ')}`);
  }
  if (problems.length > 0) {
    throw CoreErrors.SERVICE_OPTIONS_INVALID({ params: { reason: `JWT verifier: ${problems.join('; ')}` } });
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
