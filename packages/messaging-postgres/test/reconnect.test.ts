import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresBroker } from '../src/index.ts';
import { event, testBroker, waitFor } from './helpers.ts';

const ok = await serverAvailable('postgres');

describe.skipIf(!ok)('postgres broker: connection loss', () => {
  let db: TestDatabase;
  let publisher: PostgresBroker;
  let consumer: PostgresBroker;

  beforeAll(async () => {
    db = await createTestDatabase('pgbus_reconnect');
    publisher = testBroker(db.url);
    // Polling is effectively off: after the kills, only a re-established LISTEN (and its
    // catch-up wake-up on reconnect) can bring new messages promptly.
    consumer = testBroker(db.url, { pollIntervalMs: 3600_000 });
  });
  afterAll(async () => {
    await publisher?.close();
    await consumer?.close();
    await db?.drop();
  });

  /** pg_terminate_backend on every connection to the bus database (pools and LISTEN alike). */
  const killAll = async () => {
    const res = await db.sql.query<{ killed: boolean }>(
      `select pg_terminate_backend(pid) as killed from pg_stat_activity
       where datname = $1 and pid <> pg_backend_pid()`,
      [db.name],
    );
    return res.rowCount;
  };

  it('loses nothing when every backend is terminated mid-stream, and keeps its subscription', async () => {
    const topic = 'flaky.events';
    const received = new Map<string, number[]>();
    const ids = new Set<string>();
    const errors: Error[] = [];
    await consumer.subscribe([topic], { group: 'survivor', maxInFlight: 16 }, async (d) => {
      await new Promise((r) => setTimeout(r, 1)); // slower than the publisher: a backlog builds up
      ids.add(d.event.id);
      const list = received.get(d.key) ?? [];
      const n = d.event.data as number;
      if (!list.includes(n)) list.push(n);
      received.set(d.key, list);
      await d.ack();
    });
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    const published: string[] = [];
    for (let round = 0; round < 20; round++) {
      const batch = keys.map((key) => ({ topic, key, event: event(round) }));
      // Retry a failed batch as the relay would; a batch that committed before the connection
      // died is deduplicated by event id.
      for (;;) {
        const results = await publisher.publish(batch);
        if (results.every((r) => r.ok)) break;
        errors.push(...results.flatMap((r) => (r.ok ? [] : [r.error])));
        await new Promise((r) => setTimeout(r, 50));
      }
      published.push(...batch.map((m) => m.event.id));
      if (round === 6 || round === 13) expect(await killAll()).toBeGreaterThan(0);
    }
    await waitFor(() => published.every((id) => ids.has(id)), 20_000);
    for (const key of keys) expect(received.get(key)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(await publisher.ping()).toBeUndefined();
    for (const e of errors) expect(e).toMatchObject({ code: 'PGBUS_PUBLISH_FAILED', retryable: true });
  });
});
