import type { Broker, Subscription, TailMessage } from '@outrig/messaging';
import { expect } from 'vitest';
import { type ConformanceCheck, requires } from './conformance-check.ts';
import { collect, makeEvent, sleep } from './conformance-harness.ts';

/** Opens a tail recording what it sees; closed after the check unless the check closes it. */
async function recordTail(
  h: Parameters<ConformanceCheck['run']>[0],
  broker: Broker,
  topics: readonly string[],
): Promise<{ seen: TailMessage[]; tail: Subscription }> {
  const seen: TailMessage[] = [];
  const tail = await (broker.tail as NonNullable<Broker['tail']>)(topics, (m) => {
    seen.push(m);
  });
  h.onCleanup(() => tail.close());
  return { seen, tail };
}

const seq = (m: TailMessage) => (m.event.data as { seq: number }).seq;

/** `Broker.tail`: a non-durable read that watches without taking anything or leaving anything. */
export const tailChecks: ConformanceCheck[] = [
  {
    name: 'tail: sees what is published after it started, per key in order, and takes nothing from a group',
    skip: requires('tail'),
    async run(h) {
      const topic = h.topic('tail');
      const broker = await h.broker();
      // Something before the tail: it exists on the server, and the tail must not replay it.
      await broker.publish([{ topic, key: 'k0', event: makeEvent({ data: { seq: -1 } }) }]);
      const group = await collect(broker, [topic], { group: h.group('tail-group') });
      await h.waitFor('the group to get the earlier message', () => group.deliveries.length >= 1);
      const { seen } = await recordTail(h, broker, [topic]);
      const batch = Array.from({ length: 12 }, (_, i) => ({
        topic,
        key: `k${i % 3}`,
        event: makeEvent({ subject: `k${i % 3}`, data: { seq: i } }),
      }));
      expect((await broker.publish(batch)).every((r) => r.ok)).toBe(true);
      await h.waitFor('the tail to see all 12', () => seen.length >= 12);
      await h.waitFor('the group to get all 13', () => group.deliveries.length >= 13);
      await sleep(200); // nothing more may come
      expect(seen.map(seq).sort((a, b) => a - b)).toEqual(batch.map((_, i) => i));
      for (const key of ['k0', 'k1', 'k2']) {
        const got = seen.filter((m) => m.key === key).map(seq);
        expect(got).toEqual([...got].sort((a, b) => a - b));
      }
      const first = seen.find((m) => seq(m) === 0);
      expect(first?.topic).toBe(topic);
      expect(first?.event).toEqual(batch[0]?.event);
    },
  },
  {
    name: 'tail: a topic that does not exist yet is waited for, not created, and seen from its first message',
    skip: requires('tail'),
    async run(h) {
      const topic = h.topic('tail-new');
      const broker = await h.broker();
      const { seen } = await recordTail(h, broker, [topic]);
      await sleep(300);
      const event = makeEvent({ data: { seq: 1 } });
      expect(await broker.publish([{ topic, key: 'k', event }])).toEqual([{ ok: true }]);
      await h.waitFor('the tail to see the first message of the new topic', () => seen.length >= 1);
      expect(seen[0]?.event).toEqual(event);
    },
  },
  {
    name: 'tail: once closed, no consumer group, consumer or offset remains on the server',
    skip: (caps, options) =>
      requires('tail')(caps) ?? (options.leftovers ? undefined : 'no leftovers() hook given'),
    async run(h) {
      const leftovers = h.options.leftovers as NonNullable<typeof h.options.leftovers>;
      const topic = h.topic('tail-gone');
      const broker = await h.broker();
      await broker.publish([{ topic, key: 'k', event: makeEvent({ data: { seq: 0 } }) }]);
      const { seen, tail } = await recordTail(h, broker, [topic]);
      await broker.publish([{ topic, key: 'k', event: makeEvent({ data: { seq: 1 } }) }]);
      await h.waitFor('the tail to see the message', () => seen.length >= 1);
      // While it runs, whatever it holds may be visible; after close() nothing may remain.
      await tail.close();
      expect(await leftovers([topic])).toEqual([]);
      // A second broker's view (another process) agrees, and a new message reaches no one.
      const other = await h.broker();
      await other.publish([{ topic, key: 'k', event: makeEvent({ data: { seq: 2 } }) }]);
      await sleep(200);
      expect(seen.map(seq)).toEqual([1]);
      expect(await leftovers([topic])).toEqual([]);
    },
  },
];
