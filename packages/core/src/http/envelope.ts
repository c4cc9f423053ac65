import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { type TSchema, Type } from 'typebox';

/** `metadata` of every success response (DESIGN §5). */
export const MetadataSchema = Type.Object({
  version: Type.String({ description: 'API version that served the request, e.g. v2' }),
  timestamp: Type.String({ format: 'date-time' }),
  requestId: Type.String(),
});

/** The `{ error: … }` body of every failure response. */
export const ErrorEnvelopeSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable error code, listed in docs/errors.md' }),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { $id: 'OutrigError', title: 'Error envelope' },
);

/** The success envelope around a data schema. */
export function envelopeOf(data: TSchema): TSchema {
  return Type.Object({ data, metadata: MetadataSchema });
}

/** Route config flags the kit reads. */
export interface KitRouteConfig {
  /** `false` sends the handler's payload as is (no `{ data, metadata }`). */
  envelope?: boolean;
  /** Set by `service.version(n, …)`. */
  apiVersion?: number;
}

/**
 * Rewrites a route's declared response schemas so the wire shape (and OpenAPI) is the
 * envelope: a route declares `response: { 200: Product }`, clients receive
 * `{ data: Product, metadata }`. Error statuses get the error envelope.
 */
export function wrapResponseSchemas(route: RouteOptions): void {
  const config = route.config as KitRouteConfig | undefined;
  const schema = route.schema as { response?: Record<string, unknown> } | undefined;
  if (config?.envelope === false || !schema?.response) return;
  const response: Record<string, unknown> = {};
  for (const [code, s] of Object.entries(schema.response)) {
    const n = Number(code);
    if (n === 204) response[code] = s;
    else if (n >= 200 && n < 300) response[code] = envelopeOf(s as TSchema);
    else response[code] = s;
  }
  route.schema = { ...route.schema, response };
}

/**
 * preSerialization hook: wraps 2xx payloads in `{ data, metadata }`. Errors (already in the
 * error envelope) and redirects pass through untouched.
 */
export function envelopeHook(defaultVersion: () => string) {
  return async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    const config = request.routeOptions.config as KitRouteConfig | undefined;
    if (reply.statusCode >= 300 || config?.envelope === false) return payload;
    return {
      data: payload,
      metadata: {
        version: config?.apiVersion === undefined ? defaultVersion() : `v${config.apiVersion}`,
        timestamp: new Date().toISOString(),
        requestId: request.id,
      },
    };
  };
}
