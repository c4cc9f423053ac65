import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Delivery } from '@outrig/messaging';
import { serverAvailable, testServers } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsBroker, type NatsBroker, type NatsBrokerOptions, partitionForKey } from '../src/index.ts';
import { deleteStreams, makeEvent, uniqueSuffix, waitFor } from './helpers.ts';

const ok = await serverAvailable('nats');

describe('createNatsBroker without a server', () => {
  it('rejects with NATS_CONNECT_FAILED when nothing listens', async () => {
    await expect(createNatsBroker({ servers: 'nats://127.0.0.1:1' })).rejects.toMatchObject({
      code: 'NATS_CONNECT_FAILED',
    });
  });
});

describe.skipIf(!ok)('NATS JetStream broker (shared server)', () => {
  const prefix = `T${uniqueSuffix()}`;
  const brokers: NatsBroker[] = [];
  /** A new broker on its own connection: the equivalent of another process. */
  async function broker(options: Partial<NatsBrokerOptions> = {}): Promise<NatsBroker> {
    const b = await createNatsBroker({
      servers: testServers.nats,
      streamPrefix: prefix,
      ackWaitMs: 1000,
      ...options,
    });
    brokers.push(b);
    return b;
  }
  const topic = () => `t${uniqueSuffix()}.events`;
  let publisher: NatsBroker;

  beforeAll(async () => {
    publisher = await broker();
  });

  afterAll(async () => {
    await Promise.allSettled(brokers.map((b) => b.close()));
    await deleteStreams(testServers.nats, prefix);
  });

  it('stores events in binary mode on the key partition subject and delivers them intact', async () => {
    const t = topic();
    const event = makeEvent('order-7', 3, { items: ['a', 'b'], note: 'ünïcode "quoted"' });
    const event2 = { ...event, id: crypto.randomUUID(), traceparent: '00-abc-def-01', correlationid: 'c 1' };
    expect(await publisher.publish([{ topic: t, key: 'order-7', event: event2 }])).toEqual([{ ok: true }]);

    const jsm = await jetstreamManager(publisher.connection);
    const stored = await jsm.streams.getMessage(`${prefix}_${t.replace('.', '_')}`, { seq: 1 });
    expect(stored?.subject).toBe(`${prefix}.${t}.${partitionForKey('order-7', 16)}`);
    expect(stored?.header.get('Nats-Msg-Id')).toBe(event2.id);
    expect(stored?.header.get('ce-id')).toBe(event2.id);
    expect(stored?.header.get('ce-type')).toBe('thing.changed');
    expect(stored?.header.get('ce-traceparent')).toBe('00-abc-def-01');
    expect(stored?.header.get('content-type')).toBe('application/json');
    expect(stored?.json()).toEqual(event.data);

    const got: Delivery[] = [];
    await publisher.subscribe([t], { group: 'g' }, async (d) => {
      got.push(d);
      await d.ack();
    });
    await waitFor('the delivery', () => got.length === 1);
    expect(got[0]).toMatchObject({ topic: t, key: 'order-7', attempt: 1 });
    expect(got[0]!.event).toEqual(event2);
  });

  it('two systems with different prefixes share a NATS account: same topic, separate streams and subjects', async () => {
    const t = topic();
    const other = `U${uniqueSuffix()}`;
    const second = await createNatsBroker({
      servers: testServers.nats,
      streamPrefix: other,
      ackWaitMs: 1000,
    });
    try {
      const mine = makeEvent('k', 1);
      const theirs = makeEvent('k', 1);
      expect(await publisher.publish([{ topic: t, key: 'k', event: mine }])).toEqual([{ ok: true }]);
      // Before subjects carried the prefix, this stream's `<topic>.*` overlapped the first one's.
      expect(await second.publish([{ topic: t, key: 'k', event: theirs }])).toEqual([{ ok: true }]);
      const got: [string, string][] = [];
      await publisher.subscribe([t], { group: 'g' }, async (d) => {
        got.push([prefix, d.event.id]);
        await d.ack();
      });
      await second.subscribe([t], { group: 'g' }, async (d) => {
        got.push([other, d.event.id]);
        await d.ack();
      });
      await waitFor('both deliveries', () => got.length >= 2);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(got.sort()).toEqual(
        [
          [prefix, mine.id],
          [other, theirs.id],
        ].sort(),
      );
    } finally {
      await second.close();
      await deleteStreams(testServers.nats, other);
    }
  });

  it('drops a re-publish of the same event id within the duplicate window', async () => {
    const t = topic();
    const event = makeEvent('k', 1);
    expect(await publisher.publish([{ topic: t, key: 'k', event }])).toEqual([{ ok: true }]);
    expect(await publisher.publish([{ topic: t, key: 'k', event }])).toEqual([{ ok: true }]);
    const jsm = await jetstreamManager(publisher.connection);
    const info = await jsm.streams.info(`${prefix}_${t.replace('.', '_')}`);
    expect(info.state.messages).toBe(1);
  });

  it('keeps per-key order and one-at-a-time handling across two members of a group', async () => {
    const t = topic();
    const keys = ['a', 'b', 'c', 'd', 'e'];
    const perKey = 15;
    const members = [await broker(), await broker()];
    const seen = new Map<string, number[]>(keys.map((k) => [k, []]));
    const active = new Map<string, number>();
    let overlaps = 0;
    for (const member of members) {
      await member.subscribe([t], { group: 'workers', maxInFlight: 4 }, async (d) => {
        active.set(d.key, (active.get(d.key) ?? 0) + 1);
        if (active.get(d.key)! > 1) overlaps++;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
        seen.get(d.key)!.push(d.event.aggregateversion!);
        active.set(d.key, active.get(d.key)! - 1);
        await d.ack();
      });
    }
    const batch = [];
    for (let v = 1; v <= perKey; v++)
      for (const key of keys) batch.push({ topic: t, key, event: makeEvent(key, v) });
    const results = await publisher.publish(batch);
    expect(results.every((r) => r.ok)).toBe(true);
    await waitFor('every event', () => [...seen.values()].every((v) => v.length >= perKey));
    const inOrder = Array.from({ length: perKey }, (_, i) => i + 1);
    for (const key of keys) expect(seen.get(key)).toEqual(inOrder);
    expect(overlaps).toBe(0);
  });

  it('gives every group its own copy', async () => {
    const t = topic();
    const counts = { g1: 0, g2: 0 };
    const member = await broker();
    for (const group of ['g1', 'g2'] as const) {
      await member.subscribe([t], { group }, async (d) => {
        counts[group]++;
        await d.ack();
      });
    }
    await publisher.publish([1, 2, 3].map((v) => ({ topic: t, key: `k${v}`, event: makeEvent(`k${v}`, v) })));
    await waitFor('both groups', () => counts.g1 === 3 && counts.g2 === 3);
  });

  it('redelivers the unacked message of a crashed member (attempt 2) before later ones of its key', async () => {
    const t = topic();
    const doomed = await broker();
    let firstTaken = false;
    await doomed.subscribe([t], { group: 'g' }, async () => {
      firstTaken = true;
      await new Promise(() => {}); // hangs like a process that died mid-handler
    });
    await publisher.publish([
      { topic: t, key: 'k', event: makeEvent('k', 1) },
      { topic: t, key: 'k', event: makeEvent('k', 2) },
    ]);
    await waitFor('the doomed member to take v1', () => firstTaken);
    await doomed.connection.close(); // crash: no ack, no nack, no drain

    const survivor = await broker();
    const got: Array<[number, number]> = [];
    await survivor.subscribe([t], { group: 'g' }, async (d) => {
      got.push([d.event.aggregateversion!, d.attempt]);
      await d.ack();
    });
    await waitFor('v1 and v2', () => got.length === 2);
    expect(got).toEqual([
      [1, 2],
      [2, 1],
    ]);
  });

  it('nack redelivers after the delay while later messages of the key wait', async () => {
    const t = topic();
    // A 10 s ack wait, so a redelivery before it can only come from the nack.
    const member = await broker({ ackWaitMs: 10_000 });
    const got: Array<[number, number]> = [];
    const at: number[] = [];
    await member.subscribe([t], { group: 'g' }, async (d) => {
      got.push([d.event.aggregateversion!, d.attempt]);
      at.push(performance.now());
      if (d.attempt === 1 && d.event.aggregateversion === 1) await d.nack({ delayMs: 300 });
      else await d.ack();
    });
    await publisher.publish([1, 2].map((v) => ({ topic: t, key: 'k', event: makeEvent('k', v) })));
    await waitFor('three deliveries', () => got.length === 3);
    expect(got).toEqual([
      [1, 1],
      [1, 2],
      [2, 1],
    ]);
    // Only a lower bound (a slow machine can make it later, never earlier): the delay was honoured.
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(250);
  });

  it('a handler slower than ackWait keeps its message (no concurrent redelivery)', async () => {
    const t = topic();
    const members = [await broker({ ackWaitMs: 300 }), await broker({ ackWaitMs: 300 })];
    const got: Array<[number, number]> = [];
    for (const member of members) {
      await member.subscribe([t], { group: 'g' }, async (d) => {
        got.push([d.event.aggregateversion!, d.attempt]);
        if (d.event.aggregateversion === 1) await new Promise((resolve) => setTimeout(resolve, 1200));
        await d.ack();
      });
    }
    await publisher.publish([1, 2].map((v) => ({ topic: t, key: 'k', event: makeEvent('k', v) })));
    await waitFor('both events', () => got.some(([v]) => v === 2));
    expect(got).toEqual([
      [1, 1],
      [2, 1],
    ]);
  });

  it('a member closing hands its partitions over at once, not after ack wait', async () => {
    const t = topic();
    // A 60 s ack wait: if anything were left with the closed member, the wait below would time out.
    const [a, b] = [await broker({ ackWaitMs: 60_000 }), await broker({ ackWaitMs: 60_000 })];
    const got: string[] = [];
    const subA = await a.subscribe([t], { group: 'g' }, async (d) => {
      got.push(`a${d.event.aggregateversion}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await d.ack();
    });
    await publisher.publish([1, 2, 3, 4].map((v) => ({ topic: t, key: 'k', event: makeEvent('k', v) })));
    await waitFor('member a to take v1', () => got.length > 0);
    const closing = subA.close();
    await b.subscribe([t], { group: 'g' }, async (d) => {
      got.push(`b${d.event.aggregateversion}`);
      await d.ack();
    });
    await closing;
    await waitFor('member b to get the rest', () => got.length === 4, 10_000);
    expect(got).toEqual(['a1', 'b2', 'b3', 'b4']);
  });

  it('a new group with startFrom latest skips what was published before it', async () => {
    const t = topic();
    await publisher.publish([{ topic: t, key: 'k', event: makeEvent('k', 1) }]);
    const got: number[] = [];
    const member = await broker();
    await member.subscribe([t], { group: 'late', startFrom: 'latest' }, async (d) => {
      got.push(d.event.aggregateversion!);
      await d.ack();
    });
    await publisher.publish([{ topic: t, key: 'k', event: makeEvent('k', 2) }]);
    await waitFor('v2', () => got.length > 0);
    expect(got).toEqual([2]);
  });

  it('fails a key’s later messages after one fails, and keeps other keys going', async () => {
    const t = topic();
    const bad = { ...makeEvent('k', 1), causationid: { not: 'a primitive' } } as never;
    const results = await publisher.publish([
      { topic: t, key: 'k', event: bad },
      { topic: t, key: 'other', event: makeEvent('other', 1) },
      { topic: t, key: 'k', event: makeEvent('k', 2) },
      { topic: 'bad topic', key: 'x', event: makeEvent('x', 1) },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : (r.error as { code?: string }).code))).toEqual([
      'NATS_EVENT_INVALID',
      'ok',
      'NATS_PUBLISH_SKIPPED',
      'NATS_TOPIC_INVALID',
    ]);
  });

  it('terminates a message that is not an Outrig CloudEvent instead of blocking its partition', async () => {
    const t = topic();
    const errors: Error[] = [];
    const member = await broker({ onError: (e) => errors.push(e) });
    const got: number[] = [];
    await member.subscribe([t], { group: 'g' }, async (d) => {
      got.push(d.event.aggregateversion!);
      await d.ack();
    });
    const js = (await jetstreamManager(publisher.connection)).jetstream();
    await js.publish(`${prefix}.${t}.${partitionForKey('k', 16)}`, 'not a cloud event');
    await publisher.publish([{ topic: t, key: 'k', event: makeEvent('k', 1) }]);
    await waitFor('the valid event after the junk', () => got.length === 1);
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['NATS_MESSAGE_INVALID']);
  });

  it('updates an existing stream’s tunables and a group’s ack wait in place', async () => {
    const t = topic();
    const first = await broker();
    await first.subscribe([t], { group: 'g' }, async (d) => d.ack());
    const second = await broker({ duplicateWindowMs: 60_000, ackWaitMs: 2000 });
    await second.subscribe([t], { group: 'g' }, async (d) => d.ack());
    const jsm = await jetstreamManager(publisher.connection);
    const stream = `${prefix}_${t.replace('.', '_')}`;
    expect((await jsm.streams.info(stream)).config.duplicate_window).toBe(60_000 * 1e6);
    expect((await jsm.consumers.info(stream, 'g_p0')).config.ack_wait).toBe(2000 * 1e6);
  });

  it('refuses a partition count that differs from the stream’s', async () => {
    const t = topic();
    await publisher.publish([{ topic: t, key: 'k', event: makeEvent('k', 1) }]);
    const other = await broker({ partitions: 8 });
    await expect(other.subscribe([t], { group: 'g' }, async () => {})).rejects.toMatchObject({
      code: 'NATS_STREAM_CONFLICT',
    });
  });

  it('leaves a connection the user passed in open', async () => {
    const nc = await connect({ servers: new URL(testServers.nats).host });
    const b = await createNatsBroker({ connection: nc, streamPrefix: prefix });
    await b.publish([{ topic: topic(), key: 'k', event: makeEvent('k', 1) }]);
    await b.close();
    expect(nc.isClosed()).toBe(false);
    await nc.close();
  });

  it('close() waits for the in-flight handler, and ping() fails once closed', async () => {
    const t = topic();
    const member = await broker();
    let finished = false;
    let started = false;
    await member.subscribe([t], { group: 'g' }, async (d) => {
      started = true;
      await new Promise((resolve) => setTimeout(resolve, 200));
      finished = true;
      await d.ack();
    });
    await publisher.publish([{ topic: t, key: 'k', event: makeEvent('k', 1) }]);
    await waitFor('the handler to start', () => started);
    await member.ping();
    await member.close();
    expect(finished).toBe(true);
    await expect(member.ping()).rejects.toMatchObject({ code: 'NATS_PING_FAILED' });
  });
});
