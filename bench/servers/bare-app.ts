import Fastify, { type FastifyInstance } from 'fastify';

const Hello = { type: 'object', properties: { hello: { type: 'string' } }, required: ['hello'] } as const;

/**
 * The baseline: bare Fastify with default options (logger off) and the same hello route as the
 * kit service, response schema included (both serialize with fast-json-stringify).
 */
export function buildBareApp(): FastifyInstance {
  const app = Fastify();
  app.get('/api/v1/hello', { schema: { response: { 200: Hello } } }, async () => ({ hello: 'world' }));
  app.get('/health', async () => ({ status: 'ok' }));
  return app;
}
