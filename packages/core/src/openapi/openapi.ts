import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

// The docs page runs Scalar's bundled script and styles from this service (no CDN); JSON routes
// keep the strict API policy.
const DOCS_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

const kitRoute = { envelope: false, metrics: false, log: false };

/**
 * OpenAPI 3.1 generated from the route schemas of every version at `/openapi.json`, and an API
 * reference page at `/docs` (Scalar). Kit routes that are not API (metrics, the fallback) are
 * hidden.
 */
export function registerOpenApi(
  app: FastifyInstance,
  info: {
    title: string;
    description?: string;
    version: () => string;
    /** `components.securitySchemes` (the bearer scheme when the service verifies tokens). */
    securitySchemes?: Record<string, { type: 'http'; scheme: string; bearerFormat?: string }> | undefined;
    /** Served instead of the generated document (the gateway's merged one); `/docs` renders it. */
    document?: (() => Promise<unknown>) | undefined;
  },
): void {
  // Registered on the root (swagger is not encapsulated) so it sees every route of every version.
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: info.title, description: info.description, version: '1' },
      tags: [{ name: 'health', description: 'Liveness and readiness' }],
      ...(info.securitySchemes ? { components: { securitySchemes: info.securitySchemes } } : {}),
    },
    transformObject: (doc) => {
      const openapi = (doc as { openapiObject: { info?: object } }).openapiObject;
      return { ...openapi, info: { ...openapi.info, version: info.version() } } as never;
    },
  });
  app.register(async (scope) => {
    const document = info.document ?? (async () => app.swagger());
    scope.get('/openapi.json', { config: kitRoute, schema: { hide: true } }, document);
    const docs = lazyDocs(info.title);
    scope.get('/docs', { config: kitRoute, schema: { hide: true } }, docs);
    scope.get('/docs/*', { config: kitRoute, schema: { hide: true } }, docs);
  });
}

/**
 * Scalar's Fastify plugin embeds a 4 MB script that costs ~140 ms to import; a service should
 * not pay that at every start. The docs are served by a private Fastify instance built on the
 * first request to `/docs` and reached through `inject()`.
 */
function lazyDocs(title: string) {
  let docs: Promise<FastifyInstance> | undefined;
  const build = async () => {
    const { default: apiReference } = await import('@scalar/fastify-api-reference');
    const instance = Fastify();
    await instance.register(apiReference, {
      routePrefix: '/docs',
      configuration: { url: '/openapi.json', title },
    });
    await instance.ready();
    return instance;
  };
  return async (request: FastifyRequest, reply: FastifyReply) => {
    docs ??= build();
    const res = await (await docs).inject({ method: 'GET', url: request.url });
    for (const [name, value] of Object.entries(res.headers)) {
      if (value !== undefined && !['content-length', 'connection', 'date', 'keep-alive'].includes(name)) {
        reply.header(name, value);
      }
    }
    reply.header('content-security-policy', DOCS_CSP);
    return reply.code(res.statusCode).send(res.rawPayload);
  };
}
