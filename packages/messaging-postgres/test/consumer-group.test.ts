import { randomUUID } from 'node:crypto';
import type { Delivery } from '@outrig/messaging';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresBroker } from '../src/index.ts';
import { partitionFor } from '../src/internal/partition-for.ts';
import { event, leases, testBroker, waitFor } from './helpers.ts';

const ok = await serverAvailable('postgres');

describe.skipIf(!ok)('postgres broker: consumer groups', () => {
  let db: TestDatabase;
  const brokers: PostgresBroker[] = [];
  const broker = () => {
    const b = testBroker(db.url);
    brokers.push(b);
    return b;
  };

  beforeAll(async () => {
    db = await createTestDatabase('pgbus_groups');
  });
  afterAll(async () => {
    await Promise.all(brokers.map((b) => b.close()));
    await db?.drop();
  });

  const committed = async (group: string, topic: string, partition: number) => {
    const res = await db.sql.query<{ committed: string }>(
      'select committed from outrig_bus.group_partitions where grp = $1 and topic = $2 and partition = $3',
      [group, topic, partition],
    );
    return Number(res.rows[0]?.committed);
  };

  it('two members split the partitions evenly, and one takes all when the other stops', async () => {
    const topic = 'split.events';
    const group = 'split';
    const got = new Map<string, Set<string>>([
      ['a', new Set()],
      ['b', new Set()],
    ]);
    const handler = (name: string) => async (d: Delivery) => {
      got.get(name)?.add(d.event.id);
      await d.ack();
    };
    const a = broker();
    const b = broker();
    await a.subscribe([topic], { group }, handler('a'));
    const subB = await b.subscribe([topic], { group }, handler('b'));
    await waitFor(async () => {
      const owners = [...(await leases(db.sql, group)).values()];
      return owners.length === 2 && owners.every((n) => n === 8);
    });

    const first = Array.from({ length: 64 }, (_, i) => ({ topic, key: `k${i}`, event: event(i) }));
    expect((await a.publish(first)).every((r) => r.ok)).toBe(true);
    await waitFor(() => got.get('a')!.size + got.get('b')!.size === 64);
    expect(got.get('a')!.size).toBeGreaterThan(0);
    expect(got.get('b')!.size).toBeGreaterThan(0);
    const overlap = [...got.get('a')!].filter((id) => got.get('b')!.has(id));
    expect(overlap).toEqual([]);

    await subB.close();
    await waitFor(async () => [...(await leases(db.sql, group)).values()].join() === '16');
    const second = Array.from({ length: 32 }, (_, i) => ({ topic, key: `k${i}`, event: event(i) }));
    await a.publish(second);
    await waitFor(() => second.every((m) => got.get('a')!.has(m.event.id)));
  });

  it('fences a member whose lease expired: its late ack commits nothing, the message is redelivered', async () => {
    const topic = 'fence.events';
    const group = 'fence';
    const a = broker();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const deliveries: Delivery[] = [];
    const acks: Promise<void>[] = [];
    await a.subscribe([topic], { group }, async (d) => {
      deliveries.push(d);
      if (deliveries.length === 1) {
        await gate; // "paused" past its lease
        acks.push(d.ack());
        return;
      }
      await d.ack();
    });
    const m = event('fenced');
    await a.publish([{ topic, key: 'k', event: m }]);
    await waitFor(() => deliveries.length === 1);
    const partition = partitionFor('k', 16);
    const before = await committed(group, topic, partition);
    // The pause outlives the lease, as seen by the database clock.
    await db.sql.query(
      `update outrig_bus.group_partitions set expires_at = clock_timestamp() - interval '1 second'
       where grp = $1 and owner is not null`,
      [group],
    );
    release();
    await waitFor(() => acks.length === 1);
    await acks[0];
    expect(await committed(group, topic, partition)).toBe(before);

    // The partition is taken again (new epoch) and the message comes back, counted.
    await waitFor(() => deliveries.length === 2);
    expect(deliveries[1]?.event.id).toBe(m.id);
    expect(deliveries[1]?.attempt).toBe(2);
    await waitFor(async () => (await committed(group, topic, partition)) > before);
  });

  it('rejects progress writes with a stale epoch or an expired lease (SQL fence)', async () => {
    const { GroupStore } = await import('../src/internal/group-store.ts');
    const topic = 'fence-sql.events';
    const b = broker();
    await b.publish([{ topic, key: 'k', event: event(1) }]); // creates the topic
    const zombie = new GroupStore(db.sql, 'outrig_bus', 'fence-sql', 'zombie', 60_000);
    const heir = new GroupStore(db.sql, 'outrig_bus', 'fence-sql', 'heir', 60_000);
    await zombie.join([topic], 'earliest');
    const [lease] = await zombie.acquire([{ topic, partition: 0 }]);
    expect(lease).toBeDefined();
    const write = { topic, partition: 0, epoch: lease!.epoch, committed: 1, inflight: {}, delays: {} };
    expect((await zombie.sync([write])).size).toBe(1);
    expect(await heir.acquire([{ topic, partition: 0 }])).toEqual([]); // still owned

    await db.sql.query(
      `update outrig_bus.group_partitions set expires_at = clock_timestamp() - interval '1 ms' where grp = 'fence-sql'`,
    );
    expect((await zombie.sync([{ ...write, committed: 2 }])).size).toBe(0);
    expect((await zombie.renew([lease!])).size).toBe(0);
    const [taken] = await heir.acquire([{ topic, partition: 0 }]);
    expect(taken?.epoch).toBe(lease!.epoch + 1);
    expect(taken?.committed).toBe(1);
    // The zombie's old epoch stays fenced even though the lease is live again (the heir's).
    expect((await zombie.sync([{ ...write, committed: 3 }])).size).toBe(0);
    await zombie.release([lease!]);
    expect((await heir.renew([taken!])).size).toBe(1);
  });

  it('keeps per-key order and one-at-a-time per key while members join and leave mid-stream', async () => {
    const topic = 'order.events';
    const group = 'order';
    const keys = Array.from({ length: 24 }, (_, i) => `agg-${i}`);
    const perKey = 15;
    const active = new Set<string>();
    const overlaps: string[] = [];
    const acked = new Set<string>();
    const firstSeen = new Map<string, number[]>();
    const handledBy = new Map<string, number>();
    const handler = (member: string) => async (d: Delivery) => {
      if (active.has(d.key)) overlaps.push(d.key);
      active.add(d.key);
      handledBy.set(member, (handledBy.get(member) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, Math.random() * 3));
      // What an inbox sees: a redelivery of an already handled event is a duplicate, skipped.
      if (!acked.has(d.event.id)) {
        firstSeen.set(d.key, [...(firstSeen.get(d.key) ?? []), d.event.data as number]);
      }
      active.delete(d.key);
      acked.add(d.event.id);
      await d.ack();
    };
    const owners = async () => (await leases(db.sql, group)).size;
    const [m1, m2, m3] = [broker(), broker(), broker()];
    await m1.subscribe([topic], { group, maxInFlight: 8 }, handler('m1'));
    const sub2 = await m2.subscribe([topic], { group, maxInFlight: 8 }, handler('m2'));
    await waitFor(async () => (await owners()) === 2);
    const publish = (from: number, to: number) =>
      Promise.all(
        keys.map(async (key) => {
          for (let seq = from; seq < to; seq++) {
            const [r] = await m1.publish([{ topic, key, event: event(seq) }]);
            expect(r?.ok).toBe(true);
          }
        }),
      );
    await publish(0, 5);
    const joining = m3.subscribe([topic], { group, maxInFlight: 8 }, handler('m3'));
    const middle = publish(5, 10); // flows while the group rebalances to three members
    const sub3 = await joining;
    await waitFor(async () => (await owners()) === 3);
    await middle;
    const leaving = sub2.close(); // and back to two while the last messages flow
    await publish(10, 15);
    await leaving;
    await waitFor(() => acked.size === keys.length * perKey);
    expect(overlaps).toEqual([]);
    for (const key of keys) expect(firstSeen.get(key)).toEqual(Array.from({ length: perKey }, (_, i) => i));
    expect([...handledBy.keys()].sort()).toEqual(['m1', 'm2', 'm3']);
    await sub3.close();
  });

  it('redelivers a crashed member’s unacked message first in its key, counting attempts across crashes', async () => {
    const topic = 'crash.events';
    const group = `crash-${randomUUID()}`;
    const attempts: number[] = [];
    const hangOn = (d: Delivery) => {
      attempts.push(d.attempt);
      return new Promise<void>(() => {}); // dies while handling
    };
    const first = event('first');
    const second = event('second');
    const a = broker();
    await a.subscribe([topic], { group }, hangOn);
    await a.publish([
      { topic, key: 'k', event: first },
      { topic, key: 'k', event: second },
    ]);
    await waitFor(() => attempts.length === 1);
    await a.destroy();
    const b = broker();
    await b.subscribe([topic], { group }, hangOn);
    await waitFor(() => attempts.length === 2);
    await b.destroy();
    const order: { id: string; attempt: number }[] = [];
    const c = broker();
    await c.subscribe([topic], { group }, async (d) => {
      order.push({ id: d.event.id, attempt: d.attempt });
      await d.ack();
    });
    await waitFor(() => order.length === 2);
    expect(attempts).toEqual([1, 2]);
    expect(order).toEqual([
      { id: first.id, attempt: 3 },
      { id: second.id, attempt: 1 },
    ]);
  });

  it('starts a new group at the end with startFrom latest', async () => {
    const topic = 'latest.events';
    const b = broker();
    await b.publish([{ topic, key: 'k', event: event('old') }]);
    const seen: unknown[] = [];
    await b.subscribe([topic], { group: 'late-joiner', startFrom: 'latest' }, async (d) => {
      seen.push(d.event.data);
      await d.ack();
    });
    await b.publish([{ topic, key: 'k', event: event('new') }]);
    await waitFor(() => seen.length === 1);
    expect(seen).toEqual(['new']);
  });

  it('refuses invalid subscriptions with a coded error', async () => {
    const b = broker();
    await expect(b.subscribe([], { group: 'g' }, async () => {})).rejects.toMatchObject({
      code: 'PGBUS_SUBSCRIBE_INVALID',
    });
    await expect(b.subscribe(['t'], { group: '' }, async () => {})).rejects.toMatchObject({
      code: 'PGBUS_SUBSCRIBE_INVALID',
    });
  });
});
