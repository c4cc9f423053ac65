/**
 * Where the real servers for integration tests are, and what to do when one is missing:
 * skip locally (with the reason), fail under `CI=true` — CI must never pass by skipping.
 */
import net from 'node:net';

/** Connection URLs for test servers, from the environment with local defaults. */
export const testServers = {
  postgres: process.env.OUTRIG_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  nats: process.env.OUTRIG_TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
  redis: process.env.OUTRIG_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  rabbitmq: process.env.OUTRIG_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
} as const;

export type TestServer = keyof typeof testServers;

/**
 * Resolves to true when the server answers a TCP connect. When it does not: under `CI=true`
 * it throws (the test run fails); otherwise it resolves to false so the caller can skip.
 *
 * @example
 * const hasPg = await serverAvailable('postgres');
 * describe.skipIf(!hasPg)('outbox on postgres', () => { … });
 */
export async function serverAvailable(server: TestServer): Promise<boolean> {
  const url = new URL(testServers[server]);
  const ok = await canConnect(url.hostname, Number(url.port) || defaultPort(server));
  if (!ok && process.env.CI === 'true') {
    throw new Error(`${server} is required under CI=true but ${url.host} is unreachable`);
  }
  if (!ok) console.warn(`[outrig/testing] ${server} at ${url.host} unreachable: skipping its tests`);
  return ok;
}

function defaultPort(server: TestServer): number {
  return { postgres: 5432, nats: 4222, redis: 6379, rabbitmq: 5672 }[server];
}

function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
