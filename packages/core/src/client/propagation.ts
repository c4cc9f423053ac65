import diagnostics from 'node:diagnostics_channel';
import { context, propagation } from '@opentelemetry/api';
import { REQUEST_ID_HEADER } from '../http/request-id.ts';

/**
 * The incoming request a call is made for, read structurally: its id, and the caller's bearer
 * token when authentication put a principal on it (`request.principal.token`).
 */
export interface CallerRequest {
  readonly id: string;
  readonly principal?: { readonly token?: unknown } | null | undefined;
}

/** A bearer token, or a function that returns one (a service-token source). */
export type TokenProvider = string | (() => string | Promise<string>);

// undici publishes every request it creates here; an OpenTelemetry undici instrumentation
// subscribes and injects `traceparent` itself (with its own client span as parent). Injecting
// too would send the header twice, which receivers fold into one invalid value.
const undiciRequestCreated = diagnostics.channel('undici:request:create');

/** Adds W3C trace context of the active context, unless an undici instrumentation will. */
export function injectTraceContext(headers: Record<string, string>): void {
  if (undiciRequestCreated.hasSubscribers) return;
  propagation.inject(context.active(), headers);
}

/**
 * The headers every attempt of a call carries: `x-request-id` of the caller's request, trace
 * context, and `authorization` — in order of precedence: the call's own `authorization` header,
 * the call's `token`, the caller's token (`request.principal.token`), the client's `token`.
 */
export async function propagatedHeaders(input: {
  headers: Record<string, string>;
  request?: CallerRequest;
  callToken?: TokenProvider;
  clientToken?: TokenProvider;
}): Promise<Record<string, string>> {
  const headers = { ...input.headers };
  if (input.request?.id && headers[REQUEST_ID_HEADER] === undefined) {
    headers[REQUEST_ID_HEADER] = input.request.id;
  }
  injectTraceContext(headers);
  if (headers.authorization === undefined) {
    const callerToken = input.request?.principal?.token;
    const token =
      input.callToken ?? (typeof callerToken === 'string' && callerToken ? callerToken : input.clientToken);
    const value = typeof token === 'function' ? await token() : token;
    if (value) headers.authorization = `Bearer ${value}`;
  }
  return headers;
}

/** Lower-cases header names so later lookups and overrides are unambiguous. */
export function normalizeHeaders(
  headers: Readonly<Record<string, string | undefined>> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name.toLowerCase()] = value;
  }
  return out;
}
