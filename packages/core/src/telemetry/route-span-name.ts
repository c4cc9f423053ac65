import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { FastifyInstance } from 'fastify';

/**
 * Names HTTP server spans after the route template (`POST /api/v2/products`) and sets
 * `http.route`: the HTTP instrumentation reads the route from the request's RPC metadata when
 * the response ends. One context lookup per request; no Fastify instrumentation needed.
 */
export function registerRouteSpanNames(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    if (route !== undefined) {
      const metadata = getRPCMetadata(context.active());
      if (metadata?.type === RPCType.HTTP) metadata.route = route;
    }
    done();
  });
}
