import { RedisBusErrors } from '../errors.ts';
import type { ResolvedRedisBrokerOptions } from '../redis-broker-options.ts';

/**
 * Key names. Curly braces make each partition's stream and lease one Redis Cluster hash slot,
 * so the fenced ack script (lease + XACK) runs on one node.
 */
export const names = {
  stream: (o: ResolvedRedisBrokerOptions, topic: string, p: number) => `${o.prefix}:{${topic}:${p}}`,
  lease: (o: ResolvedRedisBrokerOptions, topic: string, group: string, p: number) =>
    `${o.prefix}:{${topic}:${p}}:lease:${group}`,
  members: (o: ResolvedRedisBrokerOptions, topic: string, group: string) =>
    `${o.prefix}:members:${topic}:${group}`,
};

const TOPIC = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const GROUP = /^[A-Za-z0-9_-]{1,100}$/;

/** Throws `REDIS_BUS_TOPIC_INVALID` for a topic outside the portable alphabet. */
export function assertTopic(topic: string): void {
  if (typeof topic !== 'string' || topic.length > 200 || !TOPIC.test(topic)) {
    throw RedisBusErrors.REDIS_BUS_TOPIC_INVALID({ params: { topic: String(topic) } });
  }
}

/** Throws `REDIS_BUS_SUBSCRIBE_INVALID` for a bad group name. */
export function assertGroup(group: string): void {
  if (typeof group !== 'string' || !GROUP.test(group)) {
    throw RedisBusErrors.REDIS_BUS_SUBSCRIBE_INVALID({
      params: { reason: 'group is 1–100 letters, digits, _ or -' },
    });
  }
}
