import type { RouteOptions } from 'fastify';
import { Type } from 'typebox';
import { ErrorEnvelopeSchema, type KitRouteConfig } from './envelope.ts';

/** Methods whose body Fastify parses (GET and HEAD bodies are never read). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The schema of an error answer with a description, for a route to document its own error
 * statuses (the kit documents the standard ones itself: see {@link documentErrorResponses}).
 *
 * @example
 * api.post('/products', {
 *   schema: { body: NewProduct, response: { 201: Product, 409: errorResponse('SKU_TAKEN: the SKU is in use') } },
 * }, handler);
 */
export function errorResponse(description: string) {
  return Type.Object(ErrorEnvelopeSchema.properties, { description });
}

const BAD_REQUEST = errorResponse(
  'VALIDATION_FAILED, MALFORMED_JSON, MALFORMED_URL, BAD_REQUEST …: the request is malformed or does not match the schema',
);
const NOT_FOUND = errorResponse('The resource named by the path does not exist');
const PAYLOAD_TOO_LARGE = errorResponse('PAYLOAD_TOO_LARGE: the body exceeds BODY_LIMIT_BYTES');
const UNSUPPORTED_MEDIA_TYPE = errorResponse('UNSUPPORTED_MEDIA_TYPE: no parser for the content type');
const RATE_LIMITED = errorResponse('RATE_LIMITED: too many requests (see Retry-After)');
const INTERNAL_ERROR = errorResponse('INTERNAL_ERROR: an unexpected error (logged with the request id)');
const UNAVAILABLE = errorResponse(
  'A dependency (database, another service) is unavailable, or the service is shutting down (see Retry-After)',
);

/**
 * Documents the error answers the kit itself can give on a route, so that a client (and the API
 * fuzzer) finds every status it may see in the OpenAPI document: 400 always (bad URL, validation),
 * 404 on routes with path parameters, 413/415 on routes with a body, 429 when rate limits apply,
 * 500 and 503 always (`rateLimited`: the service's default limit is on). A status the route declares itself is kept. Hidden routes and routes
 * without the envelope are left alone.
 */
export function documentErrorResponses(route: RouteOptions, options: { rateLimited: boolean }): void {
  const config = route.config as (KitRouteConfig & { rateLimit?: unknown }) | undefined;
  const schema = (route.schema ?? {}) as { hide?: boolean; response?: Record<string, unknown> };
  if (config?.envelope === false || schema.hide === true) return;
  const response: Record<string, unknown> = { ...schema.response };
  response[400] ??= BAD_REQUEST;
  if (route.url.includes(':')) response[404] ??= NOT_FOUND;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (methods.some((m) => BODY_METHODS.has(m))) {
    response[413] ??= PAYLOAD_TOO_LARGE;
    response[415] ??= UNSUPPORTED_MEDIA_TYPE;
  }
  const limit = config?.rateLimit;
  if (limit !== false && (options.rateLimited || limit !== undefined)) response[429] ??= RATE_LIMITED;
  response[500] ??= INTERNAL_ERROR;
  response[503] ??= UNAVAILABLE;
  route.schema = { ...schema, response };
}
