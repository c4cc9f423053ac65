import type { OutrigError } from '../errors/outrig-error.ts';
import { CoreErrors } from '../errors.ts';

/** Options of {@link createServiceTokenSource}. */
export interface ServiceTokenSourceOptions {
  /** The issuer's client-credentials endpoint, e.g. `http://127.0.0.1:8001/api/v1/auth/token`. */
  tokenUrl: string;
  clientId: string;
  /** Sent only in the request body; never logged or put in an error. */
  clientSecret: string;
  /** Fetch a new token this long before the current one expires (at most half its lifetime). Default 60 000. */
  refreshBeforeMs?: number;
  /** Timeout of one token request. Default 5 000. */
  timeoutMs?: number;
  /** The fetch to use (tests, custom agents). Default the global `fetch`. */
  fetch?: typeof fetch;
  /** Clock in ms (tests). Default `Date.now`. */
  now?: () => number;
}

/** Service tokens for calls this service makes in its own name. */
export interface ServiceTokenSource {
  /** A valid access token: cached, refreshed before expiry, one request at a time. */
  token(): Promise<string>;
  /** `Bearer <token>`, for an `Authorization` header. */
  authorization(): Promise<string>;
  /** Forgets the cached token (e.g. after the callee answered 401). */
  invalidate(): void;
}

interface Cached {
  token: string;
  refreshAt: number;
  expiresAt: number;
}

/**
 * Obtains service tokens with the OAuth client-credentials grant of auth-service
 * (`POST tokenUrl` with `{ grant_type: 'client_credentials', client_id, client_secret }` →
 * `{ data: { accessToken, expiresIn } }`). The token is cached and refreshed before it expires;
 * concurrent callers share one request; if a refresh fails while the cached token is still
 * valid, the cached token is used. Failures reject with `SERVICE_TOKEN_FAILED` (retryable
 * unless the endpoint rejected the credentials or answered nonsense).
 *
 * @example
 * const tokens = createServiceTokenSource({
 *   tokenUrl: 'http://127.0.0.1:8001/api/v1/auth/token',
 *   clientId: 'order-service',
 *   clientSecret: config.clientSecret,
 * });
 * await fetch(url, { headers: { authorization: await tokens.authorization() } });
 */
export function createServiceTokenSource(options: ServiceTokenSourceOptions): ServiceTokenSource {
  validate(options);
  const now = options.now ?? Date.now;
  const refreshBeforeMs = options.refreshBeforeMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const doFetch = options.fetch ?? fetch;
  let cached: Cached | undefined;
  let inflight: Promise<string> | undefined;

  async function request(): Promise<string> {
    const started = now();
    let res: Response;
    try {
      res = await doFetch(options.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credentials',
          client_id: options.clientId,
          client_secret: options.clientSecret,
        }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw failed('the token endpoint is unreachable', true, err);
    }
    const body = (await res.json().catch(() => undefined)) as
      | { data?: { accessToken?: unknown; expiresIn?: unknown }; error?: { code?: unknown } }
      | undefined;
    if (!res.ok) {
      const code = typeof body?.error?.code === 'string' ? ` ${body.error.code}` : '';
      throw failed(
        `the token endpoint answered ${res.status}${code}`,
        res.status >= 500 || res.status === 429,
      );
    }
    const token = body?.data?.accessToken;
    const expiresIn = body?.data?.expiresIn;
    if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
      throw failed('the token endpoint answered without data.accessToken and data.expiresIn', false);
    }
    const lifetimeMs = expiresIn * 1000;
    const expiresAt = started + lifetimeMs;
    cached = { token, expiresAt, refreshAt: expiresAt - Math.min(refreshBeforeMs, lifetimeMs / 2) };
    return token;
  }

  const source: ServiceTokenSource = {
    async token() {
      const t = now();
      if (cached && t < cached.refreshAt) return cached.token;
      inflight ??= request().finally(() => {
        inflight = undefined;
      });
      try {
        return await inflight;
      } catch (err) {
        if (cached && now() < cached.expiresAt) return cached.token;
        throw err;
      }
    },
    async authorization() {
      return `Bearer ${await source.token()}`;
    },
    invalidate() {
      cached = undefined;
    },
  };
  return source;
}

function failed(reason: string, retryable: boolean, cause?: unknown): OutrigError {
  return CoreErrors.SERVICE_TOKEN_FAILED({ params: { reason }, retryable, cause });
}

function validate(o: ServiceTokenSourceOptions): void {
  const problems: string[] = [];
  try {
    const u = new URL(o.tokenUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') problems.push('tokenUrl must be an http(s) URL');
  } catch {
    problems.push('tokenUrl must be an http(s) URL');
  }
  if (!o.clientId) problems.push('clientId is required');
  if (!o.clientSecret) problems.push('clientSecret is required');
  if (problems.length > 0) {
    throw CoreErrors.SERVICE_OPTIONS_INVALID({
      params: { reason: `createServiceTokenSource: ${problems.join('; ')}` },
    });
  }
}
