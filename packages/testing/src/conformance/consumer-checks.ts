import { type Broker, createConsumer, type DeadLetterEvent, type Delivery } from '@outrig/messaging';
import { expect } from 'vitest';
import type { ConformanceCheck } from './conformance-check.ts';
import { type ConformanceHarness, collect, makeEvent } from './conformance-harness.ts';

/**
 * The real `createConsumer` with the inbox on PostgreSQL, over the adapter: what services rely
 * on end to end (ack after commit, one effect per event, dead letters that don't block).
 */
export const consumerChecks: ConformanceCheck[] = [
  {
    name: 'consumer: a handler that fails once is retried, its effect happens once, ack comes after commit',
    async run(h, skip) {
      const sql = await database(h, skip);
      const topic = h.topic('retry');
      const broker = await h.broker();
      const committedAtAck: boolean[] = [];
      const watched = onAck(broker, async (d) => {
        // Seen from another connection: the handler's effect must already be committed.
        committedAtAck.push((await h.db.effects('retry', d.event.id)) === 1);
      });
      const consumer = createConsumer({ sql, broker: watched, group: h.group('retry'), backoff: fast });
      h.onCleanup(() => consumer.close());
      const attempts: number[] = [];
      await consumer.subscribe([topic], async (event, { tx, attempt }) => {
        attempts.push(attempt);
        await tx.query(INSERT_EFFECT, ['retry', event.id, event.subject]);
        if (attempts.length === 1) throw new Error('fails once');
      });
      const event = makeEvent({ subject: 'k' });
      await broker.publish([{ topic, key: 'k', event }]);
      await h.waitFor('the event to be handled and acked', () => committedAtAck.length >= 1);
      expect(attempts).toEqual([1, 2]);
      expect(committedAtAck).toEqual([true]);
      expect(await h.db.effects('retry', event.id)).toBe(1);
      expect(consumer.stats()).toMatchObject({ handled: 1, failedAttempts: 1, deadLettered: 0 });
    },
  },
  {
    name: 'consumer: the same event id published twice has one effect',
    async run(h, skip) {
      const sql = await database(h, skip);
      const topic = h.topic('dup');
      const broker = await h.broker();
      const consumer = createConsumer({ sql, broker, group: h.group('dup'), backoff: fast });
      h.onCleanup(() => consumer.close());
      await consumer.subscribe([topic], async (event, { tx }) => {
        await tx.query(INSERT_EFFECT, ['dup', event.id, event.subject]);
      });
      const event = makeEvent({ subject: 'k' });
      const sentinel = makeEvent({ subject: 'k' });
      await broker.publish([{ topic, key: 'k', event }]);
      await broker.publish([{ topic, key: 'k', event }]);
      await broker.publish([{ topic, key: 'k', event: sentinel }]);
      const dedupedByBroker = broker.capabilities.brokerDedupe;
      await h.waitFor(
        'the later event, and the duplicate skipped',
        async () =>
          (await h.db.effects('dup', sentinel.id)) === 1 &&
          (dedupedByBroker || consumer.stats().duplicatesSkipped >= 1),
      );
      expect(await h.db.effects('dup', event.id)).toBe(1);
    },
  },
  {
    name: 'consumer: a handler that always fails ends on <topic>.dlq while other keys keep flowing',
    async run(h, skip) {
      const sql = await database(h, skip);
      const topic = h.topic('dlq');
      const dlqTopic = h.usedTopic(`${topic}.dlq`);
      const broker = await h.broker();
      const reader = await collect(broker, [dlqTopic], { group: h.group('dlq-reader') });
      const consumer = createConsumer({ sql, broker, group: h.group('dlq'), maxAttempts: 3, backoff: fast });
      h.onCleanup(() => consumer.close());
      const others = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8'];
      let othersFlowed: boolean | undefined;
      await consumer.subscribe([topic], async (event, { tx }) => {
        if (event.subject === 'poison') {
          // The poison's first attempt holds its key until another key has been handled. (Only
          // "another": keys hashed to the poison's partition may wait for its dead letter.)
          othersFlowed ??= await h.eventually(() => consumer.stats().handled >= 1, 5000);
          throw new Error('conformance poison');
        }
        await tx.query(INSERT_EFFECT, ['dlq', event.id, event.subject]);
      });
      const poison = makeEvent({ subject: 'poison', data: { bad: true } });
      const events = others.map((key) => makeEvent({ subject: key }));
      await broker.publish([
        { topic, key: 'poison', event: poison },
        ...events.map((event) => ({ topic, key: event.subject ?? '', event })),
      ]);
      await h.waitFor('the poison event on the dead-letter topic', () => reader.deliveries.length >= 1);
      const dead = reader.deliveries[0] as Delivery;
      const deadEvent = dead.event as DeadLetterEvent;
      expect(dead.key).toBe('poison');
      expect(deadEvent).toMatchObject({
        id: poison.id,
        type: poison.type,
        data: poison.data,
        deadlettertopic: topic,
      });
      expect(deadEvent.deadletterreason).toContain('conformance poison');
      expect(Number(deadEvent.deadletterattempts)).toBe(3);
      expect(othersFlowed).toBe(true);
      await h.waitFor('every other key to be handled', () => consumer.stats().handled >= others.length);
      for (const event of events) expect(await h.db.effects('dlq', event.id)).toBe(1);
      await h.waitFor('the dead-lettered delivery to be acked', () => consumer.stats().deadLettered === 1);
    },
  },
];

const INSERT_EFFECT = 'INSERT INTO effects (check_name, event_id, key) VALUES ($1, $2, $3)';
const fast = { baseMs: 10, maxMs: 50 };

async function database(h: ConformanceHarness, skip: (reason: string) => never) {
  const db = await h.db.get();
  if (!db) skip('PostgreSQL is unreachable: the consumer checks need the inbox');
  return db.sql;
}

/** The same broker, but `before(delivery)` runs just before each ack reaches it. */
function onAck(broker: Broker, before: (d: Delivery) => Promise<void>): Broker {
  return {
    name: broker.name,
    capabilities: broker.capabilities,
    publish: (messages) => broker.publish(messages),
    ping: () => broker.ping(),
    close: () => broker.close(),
    subscribe: (topics, options, handler) =>
      broker.subscribe(topics, options, (d) => {
        const wrapped: Delivery = {
          topic: d.topic,
          key: d.key,
          event: d.event,
          attempt: d.attempt,
          ack: async () => {
            await before(d);
            await d.ack();
          },
          nack: (o) => d.nack(o),
          ...(d.inProgress ? { inProgress: () => d.inProgress?.() ?? Promise.resolve() } : {}),
        };
        return handler(wrapped);
      }),
  };
}
