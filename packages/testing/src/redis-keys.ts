import { Redis } from 'ioredis';

/**
 * Deletes every key under `<prefix>:` (a run's streams, leases and member sets on the shared
 * Redis, which outlives the run).
 *
 * @example
 * afterAll(() => deleteRedisKeys(testServers.redis, prefix));
 */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 2 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
