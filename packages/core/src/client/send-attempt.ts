import type { Dispatcher } from 'undici';
import type { HttpMethod } from './client-routes.ts';
import type { ServiceInstanceRef } from './instance-source.ts';
import { parseBody, type RawResponse } from './upstream-response.ts';

/** Why an exchange produced no answer. */
export type TransportFailureKind =
  /** The connection was never established: nothing was sent, any method may be retried. */
  | 'connect'
  /** The connection broke after the request may have been sent. */
  | 'broken'
  | 'timeout';

/** An exchange that produced no answer. */
export class TransportFailure extends Error {
  readonly kind: TransportFailureKind;

  constructor(kind: TransportFailureKind, cause: unknown) {
    super(`transport failure (${kind})`, { cause });
    this.name = 'TransportFailure';
    this.kind = kind;
  }
}

// Errors raised before a single byte of the request left: safe to retry whatever the method.
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export interface AttemptRequest {
  method: HttpMethod;
  /** Path and query, relative to the instance's base URL. */
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
  timeoutMs: number;
}

/**
 * One HTTP exchange with one instance through the shared undici dispatcher: sends, reads the
 * whole body, and bounds both by `timeoutMs`. Resolves with any status; throws
 * {@link TransportFailure} when there is no answer.
 */
export async function sendAttempt(
  dispatcher: Dispatcher,
  instance: ServiceInstanceRef,
  request: AttemptRequest,
): Promise<RawResponse> {
  const base = new URL(instance.url);
  const prefix = base.pathname.replace(/\/+$/, '');
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`no answer within ${request.timeoutMs} ms`));
  }, request.timeoutMs);
  try {
    const res = await dispatcher.request({
      origin: base.origin,
      path: `${prefix}${request.path}`,
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: controller.signal,
    });
    const text = await res.body.text();
    const contentType = res.headers['content-type'];
    const parsed = parseBody(text, Array.isArray(contentType) ? contentType[0] : contentType);
    return { status: res.statusCode, headers: res.headers, ...parsed };
  } catch (err) {
    if (timedOut) throw new TransportFailure('timeout', err);
    const code = errorCode(err);
    // A request undici refuses to build (bad header value, …) is a bug of the caller, not an outage.
    if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') throw err;
    throw new TransportFailure(CONNECT_CODES.has(code) ? 'connect' : 'broken', err);
  } finally {
    clearTimeout(timer);
  }
}

/** The error code, looking inside an AggregateError (dual-stack connects) as Node builds them. */
function errorCode(err: unknown): string {
  const e = err as { code?: unknown; errors?: unknown[]; cause?: { code?: unknown } };
  if (typeof e?.code === 'string') return e.code;
  const inner = e?.errors?.[0] as { code?: unknown } | undefined;
  if (typeof inner?.code === 'string') return inner.code;
  return typeof e?.cause?.code === 'string' ? e.cause.code : '';
}
