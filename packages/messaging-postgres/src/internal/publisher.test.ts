import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@outrig/messaging';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresBroker, type PostgresBroker } from '../postgres-broker.ts';
import { prepareBatch, writeMessages } from './publisher.ts';

const ok = await serverAvailable('postgres');

const event = (n: number, id: string = randomUUID()): CloudEvent => ({
  specversion: '1.0',
  id,
  source: '/services/test',
  type: 'thing.happened',
  subject: 's',
  time: new Date().toISOString(),
  datacontenttype: 'application/json',
  data: { n },
});

describe.skipIf(!ok)('writeMessages (one statement per batch)', () => {
  let db: TestDatabase;
  let broker: PostgresBroker;

  beforeAll(async () => {
    db = await createTestDatabase('pgbus_writer');
    broker = createPostgresBroker({ url: db.url, partitions: 1, cleanupIntervalMs: 0, listen: false });
  });
  afterAll(async () => {
    await broker?.close();
    await db?.drop();
  });

  const log = async (topic: string) =>
    (
      await db.sql.query<{ offset: string; n: number; key: string }>(
        `select "offset", (event->'data'->>'n')::int as n, key from outrig_bus.log where topic = $1 order by "offset"`,
        [topic],
      )
    ).rows.map((r) => ({ offset: Number(r.offset), n: r.n, key: r.key }));

  it('concurrent batches on one partition get gapless offsets, each batch contiguous and in order', async () => {
    const topic = 'writer.events';
    const batches = Array.from({ length: 8 }, (_, b) =>
      Array.from({ length: 20 }, (_, i) => ({ topic, key: `b${b}`, event: event(b * 100 + i) })),
    );
    const results = await Promise.all(batches.map((batch) => broker.publish(batch)));
    expect(results.flat().every((r) => r.ok)).toBe(true);
    const rows = await log(topic);
    expect(rows.map((r) => r.offset)).toEqual(Array.from({ length: 160 }, (_, i) => i + 1));
    // Each batch holds its head lock for the whole statement: its 20 offsets are one run, in order.
    for (let b = 0; b < 8; b++) {
      const mine = rows.filter((r) => r.key === `b${b}`);
      expect(mine.map((r) => r.n)).toEqual(Array.from({ length: 20 }, (_, i) => b * 100 + i));
      expect(mine.at(-1)!.offset - mine[0]!.offset).toBe(19);
    }
    const head = await db.sql.query<{ next_offset: string }>(
      'select next_offset from outrig_bus.heads where topic = $1',
      [topic],
    );
    expect(Number(head.rows[0]?.next_offset)).toBe(161);
  });

  it('drops a re-published event id and writes nothing of a batch whose head row is missing', async () => {
    const topic = 'writer.dedupe';
    const id = randomUUID();
    expect((await broker.publish([{ topic, key: 'k', event: event(1, id) }]))[0]?.ok).toBe(true);
    expect((await broker.publish([{ topic, key: 'k', event: event(2, id) }]))[0]?.ok).toBe(true);
    expect((await log(topic)).map((r) => r.n)).toEqual([1]);

    const { prepared } = prepareBatch([
      { topic, key: 'k', event: event(3) },
      { topic, key: 'k', event: event(4) },
    ]);
    prepared[0]!.partition = 0;
    prepared[1]!.partition = 7; // no such partition: no head row
    await expect(writeMessages(db.sql, 'outrig_bus', prepared, undefined)).rejects.toThrow();
    expect((await log(topic)).map((r) => r.n)).toEqual([1]);
  });
});
