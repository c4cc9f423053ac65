/** Small helpers the broker adapters' own tests share (NATS, Kafka, RabbitMQ, Redis). */
import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@outrig/messaging';

/** A short random suffix so stream, topic, queue and group names are unique per run. */
export function uniqueSuffix(): string {
  return randomUUID().replaceAll('-', '').slice(0, 10);
}

/**
 * A valid CloudEvent of aggregate `key` at `version` (type `thing.changed`).
 *
 * @example
 * await broker.publish([{ topic: 't', key: 'a', event: makeTestEvent('a', 1) }]);
 */
export function makeTestEvent(key: string, version = 1, data: unknown = { version }): CloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '/services/test',
    type: 'thing.changed',
    subject: key,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data,
    aggregatetype: 'thing',
    aggregateversion: version,
  };
}

/**
 * Resolves when `check()` is true; rejects with "timed out waiting for <what>" after
 * `timeoutMs`. Polls every 20 ms, never asserts time (for async checks see `eventually`).
 */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
