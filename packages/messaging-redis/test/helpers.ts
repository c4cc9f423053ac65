/** Shared bits of this package's integration tests. */
import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@outrig/messaging';

/** A short random suffix so exchange, queue and group names are unique per run. */
export function uniqueSuffix(): string {
  return randomUUID().replaceAll('-', '').slice(0, 10);
}

export function makeEvent(key: string, version: number, data: unknown = { version }): CloudEvent {
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

/** Resolves when `check()` is true; rejects with `what` after `timeoutMs`. Polls, never asserts time. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
