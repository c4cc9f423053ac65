import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresBroker } from '../src/index.ts';
import { event, testBroker, waitFor } from './helpers.ts';

const ok = await serverAvailable('postgres');

describe.skipIf(!ok)('postgres broker: retention', () => {
  let db: TestDatabase;
  const brokers: PostgresBroker[] = [];
  const broker = (retentionMs: number, maxRetentionMs: number) => {
    const b = testBroker(db.url, { retentionMs, maxRetentionMs });
    brokers.push(b);
    return b;
  };

  beforeAll(async () => {
    db = await createTestDatabase('pgbus_retention');
  });
  afterAll(async () => {
    await Promise.all(brokers.map((b) => b.close()));
    await db?.drop();
  });

  const rows = async (topic: string) =>
    (await db.sql.query(`select 1 from outrig_bus.log where topic = $1`, [topic])).rowCount;

  async function consumeAll(b: PostgresBroker, topic: string, group: string, count: number) {
    const seen = new Set<string>();
    const sub = await b.subscribe([topic], { group }, async (d) => {
      seen.add(d.event.id);
      await d.ack();
    });
    await waitFor(() => seen.size === count);
    await sub.close(); // flushes the committed offsets
  }

  it('deletes rows every group consumed once older than the retention, and nothing else', async () => {
    const b = broker(0, 3600_000);
    const batch = (topic: string) =>
      Array.from({ length: 20 }, (_, i) => ({ topic, key: `k${i}`, event: event(i) }));
    await b.publish(batch('done.events'));
    await b.publish(batch('pending.events'));
    await consumeAll(b, 'done.events', 'g1', 20);
    await consumeAll(b, 'pending.events', 'g1', 20);
    // A second group on `pending` that has consumed nothing yet holds its rows.
    await db.sql.query(
      `insert into outrig_bus.group_partitions (grp, topic, partition, committed)
       select 'g2', topic, partition, 0 from outrig_bus.heads where topic = 'pending.events'`,
    );

    expect(await b.cleanup()).toBe(20);
    expect(await rows('done.events')).toBe(0);
    expect(await rows('pending.events')).toBe(20);

    // Offsets go on after a cleanup: the group receives only what is new.
    const seen: unknown[] = [];
    const sub = await b.subscribe(['done.events'], { group: 'g1' }, async (d) => {
      seen.push(d.event.data);
      await d.ack();
    });
    await b.publish([{ topic: 'done.events', key: 'k', event: event('after cleanup') }]);
    await waitFor(() => seen.length === 1);
    expect(seen).toEqual(['after cleanup']);
    await sub.close();
  });

  it('keeps consumed rows younger than the retention window', async () => {
    const b = broker(3600_000, 7200_000);
    await b.publish([{ topic: 'young.events', key: 'k', event: event(1) }]);
    await consumeAll(b, 'young.events', 'g', 1);
    expect(await b.cleanup()).toBe(0);
    expect(await rows('young.events')).toBe(1);
  });

  it('deletes rows past the maximum retention even if a dead group never read them', async () => {
    const b = broker(0, 0);
    await b.publish([{ topic: 'abandoned.events', key: 'k', event: event(1) }]);
    await db.sql.query(
      `insert into outrig_bus.group_partitions (grp, topic, partition, committed)
       select 'dead', topic, partition, 0 from outrig_bus.heads where topic = 'abandoned.events'`,
    );
    await b.cleanup();
    expect(await rows('abandoned.events')).toBe(0);
  });

  it('deletes old rows of a topic no group subscribes to', async () => {
    const b = broker(0, 3600_000);
    await b.publish([{ topic: 'nobody.events', key: 'k', event: event(1) }]);
    await b.cleanup();
    expect(await rows('nobody.events')).toBe(0);
  });
});
