import type { IncomingHttpHeaders } from 'node:http';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and those the gateway sets itself: never copied. */
const REQUEST_SKIP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  // undici computes the length of the (buffered) body itself and does not support Expect.
  'content-length',
  'expect',
  'x-request-id',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
]);

const TRACE_HEADERS = new Set(['traceparent', 'tracestate', 'baggage']);

const RESPONSE_SKIP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
] as const;

/** What the gateway adds to every forwarded request. */
export interface ForwardContext {
  requestId: string;
  /** The client's address (appended to `x-forwarded-for`). */
  clientIp: string;
  /** `http` or `https`, as the client reached the gateway. */
  protocol: string;
}

/**
 * Builds the upstream request's headers as undici's flat `[name, value, …]` list: the client's
 * headers (Authorization included: services verify the token again) minus hop-by-hop ones and
 * those named in `Connection`, plus `x-request-id` (the gateway's id for the request) and
 * `x-forwarded-for|host|proto`. W3C trace headers pass through unchanged unless `dropTrace`
 * (when the gateway traces, its undici instrumentation injects its own span's context).
 */
export function forwardHeaders(
  headers: IncomingHttpHeaders,
  context: ForwardContext,
  dropTrace: boolean,
): string[] {
  const out: string[] = [];
  const listed = connectionTokens(headers.connection);
  for (const name in headers) {
    if (REQUEST_SKIP.has(name) || (dropTrace && TRACE_HEADERS.has(name)) || listed?.has(name)) continue;
    const value = headers[name];
    if (typeof value === 'string') out.push(name, value);
    else if (value !== undefined) for (const v of value) out.push(name, v);
  }
  const prior = headers['x-forwarded-for'];
  out.push(
    'x-request-id',
    context.requestId,
    'x-forwarded-for',
    prior ? `${prior}, ${context.clientIp}` : context.clientIp,
    'x-forwarded-proto',
    typeof headers['x-forwarded-proto'] === 'string' ? headers['x-forwarded-proto'] : context.protocol,
  );
  const host = headers['x-forwarded-host'] ?? headers.host;
  if (typeof host === 'string') out.push('x-forwarded-host', host);
  return out;
}

/** Removes hop-by-hop headers from an upstream response's (undici-parsed, owned) headers. */
export function stripResponseHeaders(headers: Record<string, string | string[] | undefined>): void {
  const listed = connectionTokens(headers.connection);
  for (const name of RESPONSE_SKIP) {
    if (headers[name] !== undefined) delete headers[name];
  }
  if (listed) for (const name of listed) delete headers[name];
}

/** Header names listed in `Connection` (to drop as well); undefined for the usual bare values. */
function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined || value === 'keep-alive' || value === 'close' || value === 'Keep-Alive')
    return undefined;
  const tokens = new Set<string>();
  for (const part of (Array.isArray(value) ? value.join(',') : value).split(',')) {
    const t = part.trim().toLowerCase();
    if (t) tokens.add(t);
  }
  return tokens;
}
