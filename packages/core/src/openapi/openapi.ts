import swagger from '@fastify/swagger';
import apiReference from '@scalar/fastify-api-reference';
import type { FastifyInstance } from 'fastify';

// The docs page runs Scalar's bundled script and styles from this service (no CDN); JSON routes
// keep helmet's strict policy.
const DOCS_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

/**
 * OpenAPI 3.1 generated from the route schemas of every version at `/openapi.json`, and an API
 * reference page at `/docs`. Kit routes that are not API (metrics, the fallback) are hidden.
 */
export function registerOpenApi(
  app: FastifyInstance,
  info: { title: string; description?: string; version: () => string },
): void {
  // Registered on the root (swagger is not encapsulated) so it sees every route of every version.
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: info.title, description: info.description, version: '1' },
      tags: [{ name: 'health', description: 'Liveness and readiness' }],
    },
    transformObject: (doc) => {
      const openapi = (doc as { openapiObject: { info?: object } }).openapiObject;
      return { ...openapi, info: { ...openapi.info, version: info.version() } } as never;
    },
  });
  app.get(
    '/openapi.json',
    { config: { envelope: false, metrics: false, log: false }, schema: { hide: true } },
    async () => app.swagger(),
  );
  app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply) => {
      reply.header('content-security-policy', DOCS_CSP);
    });
    await scope.register(apiReference, {
      routePrefix: '/docs',
      configuration: { url: '/openapi.json', title: info.title },
    });
  });
}
