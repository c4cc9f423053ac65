import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';

/**
 * The ioredis client behind the rate-limit store, tuned to fail fast: while Redis is down,
 * commands error at once instead of waiting in ioredis' offline queue, so requests pass
 * (fail-open) without delay; a slow Redis is cut off after `commandTimeout`. ioredis loads
 * only when `REDIS_URL` is set. Start does not wait for a down Redis: the client keeps
 * reconnecting in the background.
 */
export async function connectRateLimitRedis(
  url: string,
  service: string,
  log: FastifyBaseLogger,
): Promise<Redis> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    connectionName: `outrig-rate-limit:${service}`,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let down = false;
  redis.on('error', (err) => {
    if (down) return;
    down = true;
    log.warn({ err }, 'rate-limit Redis unreachable: limits are not enforced until it is back (fail-open)');
  });
  redis.on('ready', () => {
    if (down) log.info('rate-limit Redis reachable again');
    down = false;
  });
  await redis.connect().catch(() => {
    // Logged by the error listener; ioredis keeps reconnecting.
  });
  return redis;
}
