import { randomUUID } from 'node:crypto';
import type { CloudEvent, Delivery } from '@outrig/messaging';
import { KafkaMock, kafkaMockAvailable, makeTestEvent, waitFor as waitForCheck } from '@outrig/testing';
import { Consumer, compatibilityPartitioner, Producer } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaBroker, type KafkaBroker, type KafkaBrokerOptions } from '../src/index.ts';

const ok = kafkaMockAvailable();

describe('createKafkaBroker without a server', () => {
  it('rejects with KAFKA_CONNECT_FAILED when nothing listens', async () => {
    await expect(
      createKafkaBroker({ brokers: 'kafka://127.0.0.1:1', requestTimeoutMs: 500 }),
    ).rejects.toMatchObject({ code: 'KAFKA_CONNECT_FAILED' });
  });
});

describe.skipIf(!ok)('Kafka broker (librdkafka mock cluster)', () => {
  let mock: KafkaMock;
  const brokers: KafkaBroker[] = [];
  const prefix = `t${randomUUID().slice(0, 8)}.`;
  async function broker(options: Partial<KafkaBrokerOptions> = {}): Promise<KafkaBroker> {
    const b = await createKafkaBroker({
      brokers: mock.url,
      topicPrefix: prefix,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 500,
      ...options,
    });
    brokers.push(b);
    return b;
  }
  const topic = () => `k${randomUUID().slice(0, 8)}.events`;

  beforeAll(async () => {
    mock = await KafkaMock.start();
  }, 15 * 60_000);
  afterAll(async () => {
    await Promise.allSettled(brokers.map((b) => b.close()));
    await mock?.stop();
  });

  it('writes CloudEvents binary mode: ce_ headers, content-type, the key as record key, murmur2 partition', async () => {
    const t = topic();
    const b = await broker();
    const event = makeEvent('order-7', { note: 'ünïcode "quoted"' });
    expect(
      await b.publish([{ topic: t, key: 'order-7', event, traceContext: { traceparent: '00-a-b-01' } }]),
    ).toEqual([{ ok: true }]);
    const raw = new Consumer({ clientId: 'raw', groupId: `raw-${t}`, bootstrapBrokers: [mock.bootstrap] });
    try {
      const stream = await raw.consume({ topics: [`${prefix}${t}`], mode: 'earliest', autocommit: false });
      const [record] = (await stream.take(1).toArray()) as {
        key: Buffer;
        value: Buffer;
        partition: number;
        headers: Map<Buffer, Buffer>;
      }[];
      await stream.close();
      const headers = Object.fromEntries([...record!.headers].map(([k, v]) => [k.toString(), v.toString()]));
      expect(record!.key.toString()).toBe('order-7');
      expect(JSON.parse(record!.value.toString())).toEqual(event.data);
      expect(headers).toMatchObject({
        ce_id: event.id,
        ce_type: 'thing.changed',
        ce_specversion: '1.0',
        ce_aggregateversion: '1',
        'content-type': 'application/json',
        traceparent: '00-a-b-01',
      });
      // Kafka's own partitioner (Java client compatible): other producers of the key agree.
      expect(record!.partition).toBe(
        compatibilityPartitioner(undefined as never, Buffer.from('order-7')) % 4,
      );
    } finally {
      await raw.close(true);
    }
  });

  it('records the delivery count in Kafka: a message that kills its consumers shows attempt 2, 3', async () => {
    const t = topic();
    const group = `crashy-${t}`;
    const publisher = await broker();
    await publisher.publish([{ topic: t, key: 'k', event: makeEvent('k') }]);
    const attempts: number[] = [];
    for (let round = 0; round < 3; round++) {
      const member = await broker();
      let got: Delivery | undefined;
      await member.subscribe([t], { group }, async (d) => {
        got = d;
        await new Promise(() => {}); // "crashes" while handling: never settles
      });
      await waitFor('the delivery', () => got !== undefined);
      attempts.push(got!.attempt);
      await member.destroyForTests();
    }
    expect(attempts).toEqual([1, 2, 3]);
  }, 60_000);

  it('a graceful close commits what was acked: the next member starts after it', async () => {
    const t = topic();
    const group = `handover-${t}`;
    const a = await broker();
    const first: string[] = [];
    const sub = await a.subscribe([t], { group }, async (d) => {
      first.push(d.event.id);
      await d.ack();
    });
    const batch = Array.from({ length: 6 }, (_, i) => ({
      topic: t,
      key: `k${i}`,
      event: makeEvent(`k${i}`),
    }));
    await a.publish(batch);
    await waitFor('all 6', () => first.length === 6);
    await sub.close();
    const b = await broker();
    const second: string[] = [];
    await b.subscribe([t], { group }, async (d) => {
      second.push(d.event.id);
      await d.ack();
    });
    const later = makeEvent('k0');
    await b.publish([{ topic: t, key: 'k0', event: later }]);
    await waitFor('the new message', () => second.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(second).toEqual([later.id]);
  }, 60_000);

  it('skips a record that is not an Outrig CloudEvent (KAFKA_MESSAGE_INVALID) instead of blocking its key', async () => {
    const t = topic();
    const errors: string[] = [];
    const b = await broker({ onError: (e) => errors.push((e as { code?: string }).code ?? e.message) });
    const got: string[] = [];
    await b.subscribe([t], { group: `junk-${t}` }, async (d) => {
      got.push(d.event.id);
      await d.ack();
    });
    const producer = new Producer({
      clientId: 'junk',
      bootstrapBrokers: [mock.bootstrap],
      autocreateTopics: true,
    });
    try {
      await producer.send({
        messages: [
          { topic: `${prefix}${t}`, key: Buffer.from('k'), value: Buffer.from('not a cloud event') },
        ],
        partitioner: compatibilityPartitioner,
      });
    } finally {
      await producer.close();
    }
    const valid = makeEvent('k');
    await b.publish([{ topic: t, key: 'k', event: valid }]);
    await waitFor('the valid event after the junk', () => got.length === 1);
    expect(got).toEqual([valid.id]);
    expect(errors).toContain('KAFKA_MESSAGE_INVALID');
  }, 60_000);

  it('startFrom latest: a new group skips what was published before it', async () => {
    const t = topic();
    const b = await broker();
    await b.publish([{ topic: t, key: 'k', event: makeEvent('k') }]);
    const got: string[] = [];
    await b.subscribe([t], { group: `latest-${t}`, startFrom: 'latest' }, async (d) => {
      got.push(d.event.id);
      await d.ack();
    });
    const after = makeEvent('k');
    await b.publish([{ topic: t, key: 'k', event: after }]);
    await waitFor('the later event', () => got.length >= 1);
    expect(got).toEqual([after.id]);
  }, 60_000);

  it('rejects bad subscriptions and events with coded errors', async () => {
    const b = await broker();
    await expect(b.subscribe([], { group: 'g' }, async () => {})).rejects.toMatchObject({
      code: 'KAFKA_SUBSCRIBE_INVALID',
    });
    await expect(b.subscribe(['a b'], { group: 'g' }, async () => {})).rejects.toMatchObject({
      code: 'KAFKA_TOPIC_INVALID',
    });
    const t = topic();
    const bad = { ...makeEvent('k'), data: { n: 1n } } as unknown as CloudEvent;
    const results = await b.publish([
      { topic: t, key: 'k', event: bad },
      { topic: t, key: 'k', event: makeEvent('k') },
      { topic: t, key: 'other', event: makeEvent('other') },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : (r.error as { code?: string }).code))).toEqual([
      'KAFKA_EVENT_INVALID',
      'KAFKA_PUBLISH_SKIPPED',
      'ok',
    ]);
  });
});

function makeEvent(key: string, data: unknown = { n: 1 }): CloudEvent {
  return makeTestEvent(key, 1, data);
}

/** Group joins on the mock take seconds: a longer default than the shared helper's. */
function waitFor(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  return waitForCheck(what, check, timeoutMs);
}
