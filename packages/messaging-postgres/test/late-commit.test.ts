import { randomUUID } from 'node:crypto';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresBroker } from '../src/index.ts';
import { partitionFor } from '../src/internal/partition-for.ts';
import { prepareBatch, writeMessages } from '../src/internal/publisher.ts';
import { event, testBroker, waitFor } from './helpers.ts';

const ok = await serverAvailable('postgres');

/** A key other than `key` that lands in the same partition. */
function sameSlot(key: string, partitions = 16): string {
  for (let i = 0; ; i++) {
    const other = `${key}-twin-${i}`;
    if (partitionFor(other, partitions) === partitionFor(key, partitions)) return other;
  }
}

describe.skipIf(!ok)('postgres broker: offsets become visible in offset order', () => {
  let db: TestDatabase;
  let broker: PostgresBroker;

  beforeAll(async () => {
    db = await createTestDatabase('pgbus_late');
    broker = testBroker(db.url);
  });
  afterAll(async () => {
    await broker?.close();
    await db?.drop();
  });

  /** Opens a transaction that appends one message and stays open until `commit`/`rollback`. */
  function openPublish(topic: string, key: string, data: unknown) {
    const { prepared } = prepareBatch([{ topic, key, event: event(data) }]);
    const m = prepared[0]!;
    m.partition = partitionFor(key, 16);
    let finish!: (commit: boolean) => void;
    const decided = new Promise<boolean>((r) => {
      finish = r;
    });
    let written!: () => void;
    const wrote = new Promise<void>((r) => {
      written = r;
    });
    const done = db.sql
      .transaction(async (tx) => {
        await writeMessages(tx, 'outrig_bus', [m], 'outrig_bus');
        written();
        if (!(await decided)) throw new Error('rolled back on purpose');
      })
      .catch(() => {});
    return { wrote, done, commit: () => finish(true), rollback: () => finish(false) };
  }

  const waitingOnLock = async () => {
    const res = await db.sql.query(
      `select 1 from pg_stat_activity where datname = $1 and wait_event_type = 'Lock'`,
      [db.name],
    );
    return res.rowCount > 0;
  };

  async function subscribe(topic: string) {
    const seen: { data: unknown }[] = [];
    const sub = await broker.subscribe([topic], { group: `g-${randomUUID()}` }, async (d) => {
      seen.push({ data: d.event.data });
      await d.ack();
    });
    return { seen, sub };
  }

  it('a later publisher of the partition waits for the open one, so the reader never skips it', async () => {
    const topic = 'late.events';
    await broker.publish([{ topic, key: 'warm', event: event('warm-up') }]);
    const { seen, sub } = await subscribe(topic);
    await waitFor(() => seen.length === 1);

    const slow = openPublish(topic, 'k', 'slow');
    await slow.wrote;
    // A second publisher of the same partition, started after the slow one took its offset.
    const fast = broker.publish([{ topic, key: sameSlot('k'), event: event('fast') }]);
    await waitFor(waitingOnLock);
    // With a plain sequence the fast one would commit first and a reader at "offset > last"
    // would move past the slow one's offset; here it cannot even take an offset yet.
    slow.commit();
    await slow.done;
    expect(await fast).toEqual([{ ok: true }]);

    await waitFor(() => seen.length === 3);
    expect(seen.map((s) => s.data)).toEqual(['warm-up', 'slow', 'fast']);
    const order = await db.sql.query<{ data: string }>(
      `select event->>'data' as data from outrig_bus.log where topic = $1 and partition = $2 and event->>'data' in ('slow', 'fast') order by "offset"`,
      [topic, partitionFor('k', 16)],
    );
    expect(order.rows.map((r) => r.data)).toEqual(['slow', 'fast']);
    await sub.close();
  });

  it('a rolled-back publisher leaves no gap and loses nobody else’s message', async () => {
    const topic = 'rollback.events';
    await broker.publish([{ topic, key: 'warm', event: event('warm-up') }]);
    const { seen, sub } = await subscribe(topic);
    await waitFor(() => seen.length === 1);

    const doomed = openPublish(topic, 'k', 'doomed');
    await doomed.wrote;
    const after = broker.publish([{ topic, key: sameSlot('k'), event: event('after') }]);
    await waitFor(waitingOnLock);
    doomed.rollback();
    await doomed.done;
    expect(await after).toEqual([{ ok: true }]);

    await waitFor(() => seen.length === 2);
    expect(seen.map((s) => s.data)).toEqual(['warm-up', 'after']);
    const rows = await db.sql.query<{ offset: string }>(
      `select "offset" from outrig_bus.log where topic = $1 and partition = $2 order by "offset"`,
      [topic, partitionFor('k', 16)],
    );
    const ns = rows.rows.map((r) => Number(r.offset));
    expect(ns).toEqual(ns.map((_, i) => ns[0]! + i));
    await sub.close();
  });

  it('many concurrent publishers to one partition: every message delivered, none skipped', async () => {
    const topic = 'race.events';
    const { seen, sub } = await subscribe(topic);
    const keys = ['k', sameSlot('k'), sameSlot(sameSlot('k'))];
    const sent = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        broker.publish([{ topic, key: keys[i % 3]!, event: event(i) }]).then((r) => (r[0]?.ok ? i : -1)),
      ),
    );
    expect(sent.every((i) => i >= 0)).toBe(true);
    await waitFor(() => seen.length >= 30);
    expect(seen.map((s) => s.data as number).sort((a, b) => a - b)).toEqual(sent.sort((a, b) => a - b));
    await sub.close();
  });
});
