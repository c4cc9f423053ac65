import { randomUUID } from 'node:crypto';
import { createPgClient, type QueryOptions, type SqlClient } from '@outrig/db';
import type { Delivery } from '@outrig/messaging';
import { createTestDatabase, serverAvailable, type TestDatabase } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresBroker, type PostgresBroker } from '../src/index.ts';
import { event, waitFor } from './helpers.ts';

const ok = await serverAvailable('postgres');

/** A SqlClient that counts the bus's progress writes (the fenced `committed = greatest(…)` update). */
interface CountingSql {
  readonly sql: SqlClient;
  /** Progress writes ("commit offsets") issued so far. */
  commits: number;
}

function countingSql(url: string): CountingSql {
  const inner = createPgClient({ url, max: 5 });
  const counter: CountingSql = {
    commits: 0,
    sql: {
      query: <R = Record<string, unknown>>(
        text: string,
        params?: readonly unknown[],
        options?: QueryOptions,
      ) => {
        if (/set committed = greatest/.test(text)) counter.commits++;
        return inner.query<R>(text, params, options);
      },
      transaction: (fn, options) => inner.transaction(fn, options),
      close: () => inner.close(),
    },
  };
  return counter;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A handler that holds each delivery (acked later by the test) and records what it saw. */
function holding() {
  const held: Delivery[] = [];
  const handler = (d: Delivery) => {
    held.push(d);
    return new Promise<void>(() => {}); // settled by an explicit ack (or a crash)
  };
  return { held, handler };
}

describe.skipIf(!ok)('postgres broker: ack coalescing', () => {
  let db: TestDatabase;
  const clients: CountingSql[] = [];
  const brokers: PostgresBroker[] = [];

  /** A broker on its own counting client; one partition per topic so offsets form one sequence. */
  const broker = (options: { batchSize?: number } = {}) => {
    const c = countingSql(db.url);
    clients.push(c);
    const b = createPostgresBroker({
      sql: c.sql,
      listen: db.url,
      partitions: 1,
      leaseMs: 1500,
      pollIntervalMs: 200,
      cleanupIntervalMs: 0,
      retryDelayMs: 50,
      ...options,
    });
    brokers.push(b);
    return { b, c };
  };

  beforeAll(async () => {
    db = await createTestDatabase('pgbus_ack');
  });
  afterAll(async () => {
    // A failed test may leave handlers held forever: stop without waiting for them.
    await Promise.all(brokers.map((b) => b.destroy()));
    await Promise.all(clients.map((c) => c.sql.close()));
    await db?.drop();
  });

  const committed = async (group: string, topic: string) => {
    const res = await db.sql.query<{ committed: string }>(
      'select committed from outrig_bus.group_partitions where grp = $1 and topic = $2 and partition = 0',
      [group, topic],
    );
    return Number(res.rows[0]?.committed);
  };
  const offsets = async (topic: string) => {
    const res = await db.sql.query<{ id: string; offset: string }>(
      `select event->>'id' as id, "offset" from outrig_bus.log where topic = $1 order by "offset"`,
      [topic],
    );
    return new Map(res.rows.map((r) => [r.id, Number(r.offset)]));
  };

  it('commits a lone ack with no further traffic, so a member started after a crash does not get it again', async () => {
    const topic = 'lone.events';
    const group = `lone-${randomUUID()}`;
    const { b: a } = broker();
    const acked: string[] = [];
    await a.subscribe([topic], { group }, async (d) => {
      await d.ack(); // resolves once a progress write committed it
      acked.push(d.event.id);
    });
    const first = event('first');
    expect(await a.publish([{ topic, key: 'k', event: first }])).toEqual([{ ok: true }]);
    const offset = (await offsets(topic)).get(first.id);
    expect(offset).toBeGreaterThan(0);

    // Nothing else happens: only the ack's own flush can write the offset.
    await waitFor(async () => (await committed(group, topic)) === offset, 5000);
    await waitFor(() => acked.length === 1, 5000);

    await a.destroy(); // crash: no final sync, no release
    const { b: fresh } = broker();
    const seen: string[] = [];
    await fresh.subscribe([topic], { group }, async (d) => {
      seen.push(d.event.id);
      await d.ack();
    });
    // Same key: a redelivered `first` would come before the sentinel.
    const sentinel = event('sentinel');
    await fresh.publish([{ topic, key: 'k', event: sentinel }]);
    await waitFor(() => seen.includes(sentinel.id));
    expect(seen).toEqual([sentinel.id]);
  });

  it('coalesces acks arriving one by one into far fewer progress writes, and commits every one', async () => {
    const topic = 'burst.events';
    const group = `burst-${randomUUID()}`;
    const n = 200;
    const { b, c } = broker({ batchSize: n });
    const { held, handler } = holding();
    await b.subscribe([topic], { group, maxInFlight: n }, handler);
    const sent = Array.from({ length: n }, (_, i) => ({ topic, key: `k${i}`, event: event(i) }));
    expect((await b.publish(sent)).every((r) => r.ok)).toBe(true);
    await waitFor(() => held.length === n);
    const last = Math.max(...(await offsets(topic)).values());

    // Acks trickle in, each in its own macrotask: written one by one, that would be n writes.
    const before = c.commits;
    let resolved = 0;
    for (const d of held) {
      void d.ack().then(() => resolved++);
      await sleep(2);
    }
    await waitFor(() => resolved === n, 5000);
    const writes = c.commits - before;
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThan(n / 2);
    // Every ack resolved only after a write that covers it: all of them are durable now.
    expect(await committed(group, topic)).toBe(last);
  });

  it('after a crash, redelivers only the acks not yet written, and loses none', async () => {
    const topic = 'crash.events';
    const group = `crash-${randomUUID()}`;
    const n = 10;
    const { b: a } = broker();
    const { held, handler } = holding();
    await a.subscribe([topic], { group, maxInFlight: n }, handler);
    const sent = Array.from({ length: n }, (_, i) => ({ topic, key: `k${i}`, event: event(i) }));
    expect((await a.publish(sent)).every((r) => r.ok)).toBe(true);
    await waitFor(() => held.length === n);
    const offsetOf = await offsets(topic);
    const byOffset = [...held].sort((x, y) => offsetOf.get(x.event.id)! - offsetOf.get(y.event.id)!);
    const synced = byOffset.slice(0, n / 2);
    const unsynced = byOffset.slice(n / 2);

    // The first half is acked and its acks resolve: they were written.
    let resolved = 0;
    for (const d of synced) void d.ack().then(() => resolved++);
    await waitFor(() => resolved === synced.length, 5000);
    expect(await committed(group, topic)).toBe(offsetOf.get(synced.at(-1)!.event.id));

    // The second half is acked and the member crashes before anything could write those acks.
    for (const d of unsynced) void d.ack();
    void a.destroy();

    const { b: fresh } = broker();
    const again: { id: string; attempt: number }[] = [];
    await fresh.subscribe([topic], { group }, async (d) => {
      again.push({ id: d.event.id, attempt: d.attempt });
      await d.ack();
    });
    await waitFor(() => again.length >= unsynced.length);
    const sentinel = event('sentinel');
    await fresh.publish([{ topic, key: 'k0', event: sentinel }]);
    await waitFor(() => again.some((x) => x.id === sentinel.id));

    const redelivered = again.filter((x) => x.id !== sentinel.id);
    // Exactly the unwritten acks come back (as second attempts); the written ones never do.
    expect(redelivered.map((x) => x.id).sort()).toEqual(unsynced.map((d) => d.event.id).sort());
    expect(redelivered.every((x) => x.attempt === 2)).toBe(true);
    // Nothing is lost: every message was handled and its ack is now durable.
    const handled = new Set([...synced.map((d) => d.event.id), ...redelivered.map((x) => x.id)]);
    expect(handled.size).toBe(n);
    const end = (await offsets(topic)).get(sentinel.id);
    await waitFor(async () => (await committed(group, topic)) === end);
  });
});
