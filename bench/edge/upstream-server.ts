// The edge bench's upstream: the bare baseline app (servers/bare-app.ts) plus /ready, on
// 127.0.0.1:$PORT — HTTPS requiring client certificates of TLS_CLIENT_CA_FILE when TLS_CERT_FILE,
// TLS_KEY_FILE and TLS_CLIENT_CA_FILE are set (what the kit does with the same variables).
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const env = process.env;
const tls = env.TLS_CERT_FILE && env.TLS_KEY_FILE && env.TLS_CLIENT_CA_FILE;
const options = (
  tls
    ? {
        https: {
          cert: readFileSync(env.TLS_CERT_FILE as string),
          key: readFileSync(env.TLS_KEY_FILE as string),
          ca: readFileSync(env.TLS_CLIENT_CA_FILE as string),
          requestCert: true,
          rejectUnauthorized: true,
        },
      }
    : {}
) as Parameters<typeof Fastify>[0];
const app = Fastify(options);
const Hello = { type: 'object', properties: { hello: { type: 'string' } }, required: ['hello'] } as const;
app.get('/api/v1/hello', { schema: { response: { 200: Hello } } }, async () => ({ hello: 'world' }));
app.get('/health', async () => ({ status: 'ok' }));
app.get('/ready', async () => ({ status: 'ready' }));
await app.listen({ host: '127.0.0.1', port: Number(env.PORT ?? 3000) });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
