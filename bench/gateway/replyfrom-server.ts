// The baseline proxy: plain Fastify (logger off) + @fastify/reply-from with its defaults,
// forwarding everything to UPSTREAM_URL — what a hand-rolled Node gateway starts from.
import replyFrom from '@fastify/reply-from';
import Fastify from 'fastify';

const app = Fastify();
await app.register(replyFrom, { base: process.env.UPSTREAM_URL });
app.all('/*', (request, reply) => {
  reply.from(request.url);
});
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
