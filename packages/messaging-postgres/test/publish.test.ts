import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresBroker } from '../src/index.ts';
import { partitionFor } from '../src/internal/partition-for.ts';
import { event, testBroker, waitFor } from './helpers.ts';

const ok = await serverAvailable('postgres');

describe.skipIf(!ok)('postgres broker: publish', () => {
  let db: TestDatabase;
  let broker: PostgresBroker;

  beforeAll(async () => {
    db = await createTestDatabase('pgbus_publish');
    broker = testBroker(db.url);
  });
  afterAll(async () => {
    await broker?.close();
    await db?.drop();
  });

  it('appends a batch in order with offsets per partition and reports each message', async () => {
    const results = await broker.publish([
      { topic: 'a.events', key: 'k1', event: event({ n: 1 }) },
      { topic: 'a.events', key: 'k1', event: event({ n: 2 }) },
      { topic: 'a.events', key: 'k2', event: event({ n: 3 }) },
    ]);
    expect(results).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    const rows = await db.sql.query<{ partition: number; offset: string; key: string; n: number }>(
      `select partition, "offset", key, (event->'data'->>'n')::int as n from outrig_bus.log
       where topic = 'a.events' order by partition, "offset"`,
    );
    const k1 = rows.rows.filter((r) => r.key === 'k1');
    expect(k1.map((r) => r.n)).toEqual([1, 2]);
    expect(k1.every((r) => r.partition === partitionFor('k1', 16))).toBe(true);
    expect(Number(k1[1]!.offset)).toBe(Number(k1[0]!.offset) + 1);
  });

  it('fails an invalid message and every later message of its key, and sends the rest', async () => {
    const results = await broker.publish([
      { topic: 'b.events', key: 'x', event: { ...event(1), id: '' } },
      { topic: 'b.events', key: 'y', event: event(2) },
      { topic: 'b.events', key: 'x', event: event(3) },
    ]);
    expect(results[0]).toMatchObject({ ok: false, error: { code: 'PGBUS_MESSAGE_INVALID' } });
    expect(results[1]).toEqual({ ok: true });
    expect(results[2]).toMatchObject({ ok: false, error: { code: 'PGBUS_KEY_BLOCKED' } });
    const n = await db.sql.query(`select 1 from outrig_bus.log where topic = 'b.events'`);
    expect(n.rowCount).toBe(1);
  });

  it('drops a re-published event id (broker dedupe) and still reports it ok', async () => {
    const e = event({ once: true });
    expect(await broker.publish([{ topic: 'c.events', key: 'k', event: e }])).toEqual([{ ok: true }]);
    expect(await broker.publish([{ topic: 'c.events', key: 'k', event: e }])).toEqual([{ ok: true }]);
    const n = await db.sql.query(`select 1 from outrig_bus.log where topic = 'c.events'`);
    expect(n.rowCount).toBe(1);
  });

  it('rejects NUL characters per message instead of failing the batch', async () => {
    const results = await broker.publish([
      { topic: 'd.events', key: 'a', event: event('bad\u0000') },
      { topic: 'd.events', key: 'b', event: event('good') },
    ]);
    expect(results[0]).toMatchObject({ ok: false, error: { code: 'PGBUS_MESSAGE_INVALID' } });
    expect(results[1]).toEqual({ ok: true });
  });

  it('fails the whole batch with a retryable error when the database refuses it', async () => {
    const other = testBroker(db.url.replace(/\/[^/]+$/, '/outrig_no_such_database'));
    const results = await other.publish([{ topic: 'e.events', key: 'a', event: event(1) }]);
    expect(results[0]).toMatchObject({ ok: false, error: { code: 'PGBUS_PUBLISH_FAILED', retryable: true } });
    await expect(other.ping()).rejects.toMatchObject({ code: 'PGBUS_UNAVAILABLE', retryable: true });
    await other.close();
  });

  it('answers ping and refuses to publish after close', async () => {
    const b = testBroker(db.url);
    await b.ping();
    await b.close();
    const [r] = await b.publish([{ topic: 'f.events', key: 'a', event: event(1) }]);
    expect(r).toMatchObject({ ok: false, error: { code: 'PGBUS_CLOSED' } });
  });

  it('keeps a topic’s partition count when another broker is configured differently', async () => {
    const b = testBroker(db.url, { partitions: 4 });
    await b.publish([{ topic: 'g.events', key: 'k', event: event(1) }]);
    const c = testBroker(db.url, { partitions: 32 });
    await c.publish([{ topic: 'g.events', key: 'k', event: event(2) }]);
    const rows = await db.sql.query<{ partition: number }>(
      `select partition from outrig_bus.log where topic = 'g.events'`,
    );
    expect(rows.rows.map((r) => r.partition)).toEqual([partitionFor('k', 4), partitionFor('k', 4)]);
    await Promise.all([b.close(), c.close()]);
  });

  it('delivers what it published to a subscriber', async () => {
    const seen: unknown[] = [];
    const sub = await broker.subscribe(['h.events'], { group: 'g' }, async (d) => {
      seen.push(d.event.data);
      await d.ack();
    });
    await broker.publish([1, 2, 3].map((n) => ({ topic: 'h.events', key: 'k', event: event(n) })));
    await waitFor(() => seen.length === 3);
    expect(seen).toEqual([1, 2, 3]);
    await sub.close();
  });
});
