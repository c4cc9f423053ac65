import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** The only paths the plain health listener serves. */
const PATHS = new Set(['/health', '/ready', '/metrics']);

/**
 * A plain HTTP listener beside the service port serving `/health`, `/ready` and `/metrics` by
 * injecting the request into the app (same handlers, same answers), and 404 for anything else.
 * Probes and Prometheus use it when the service port requires client certificates.
 */
export async function startHealthListener(app: FastifyInstance, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    if (!PATHS.has(path) || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error":{"code":"NOT_FOUND","message":"Only /health, /ready and /metrics are served here"}}');
      return;
    }
    app.inject({ method: req.method, url: path, headers: { accept: req.headers.accept ?? '*/*' } }).then(
      (answer) => {
        const type = answer.headers['content-type'];
        res.writeHead(answer.statusCode, type ? { 'content-type': String(type) } : {});
        res.end(req.method === 'HEAD' ? undefined : answer.rawPayload);
      },
      () =>
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end('{"error":{"code":"SHUTTING_DOWN","message":"Service is shutting down"}}'),
    );
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
