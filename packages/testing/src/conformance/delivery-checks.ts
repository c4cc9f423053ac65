import type { CloudEvent, Delivery, OutgoingMessage } from '@outrig/messaging';
import { expect } from 'vitest';
import type { ConformanceCheck } from './conformance-check.ts';
import { collect, makeEvent, sleep } from './conformance-harness.ts';

/** Publish, deliver, nack, reconnect, close: what every transport must pass. */
export const deliveryChecks: ConformanceCheck[] = [
  {
    name: 'round trip: the CloudEvent arrives intact (attributes, extensions, data)',
    async run(h) {
      const topic = h.topic('roundtrip');
      const broker = await h.broker();
      const { deliveries } = await collect(broker, [topic], { group: h.group('rt') });
      const event = {
        ...makeEvent({
          subject: 'order-42',
          aggregateversion: 7,
          data: { name: 'Zoë ✓', price: 12.5, tags: ['a', 'b'], nested: { ok: true, none: null }, count: 0 },
        }),
        // An extension the adapter has never heard of must survive too (dead letters use them).
        conformanceext: 'kept',
      } as CloudEvent;
      expect(await broker.publish([{ topic, key: 'order-42', event }])).toEqual([{ ok: true }]);
      await h.waitFor('the published event to be delivered', () => deliveries.length >= 1);
      const d = deliveries[0] as Delivery;
      expect(d.topic).toBe(topic);
      expect(d.key).toBe('order-42');
      expect(d.attempt).toBe(1);
      expect(d.event).toEqual(event);
    },
  },
  {
    name: 'batch publish: one result per message, in order, and every message delivered',
    async run(h) {
      const topic = h.topic('batch');
      const broker = await h.broker();
      const { deliveries } = await collect(broker, [topic], { group: h.group('batch') });
      const batch: OutgoingMessage[] = Array.from({ length: 9 }, (_, i) => ({
        topic,
        key: `k${i % 3}`,
        event: makeEvent({ subject: `k${i % 3}`, data: { i } }),
      }));
      const results = await broker.publish(batch);
      expect(results).toHaveLength(batch.length);
      expect(results.every((r) => r.ok)).toBe(true);
      await h.waitFor('all 9 messages', () => new Set(deliveries.map((d) => d.event.id)).size >= 9);
      expect(new Set(deliveries.map((d) => d.event.id))).toEqual(new Set(batch.map((m) => m.event.id)));
      if (broker.capabilities.orderedByKey) {
        for (const key of ['k0', 'k1', 'k2']) {
          const sent = batch.filter((m) => m.key === key).map((m) => m.event.id);
          expect(deliveries.filter((d) => d.key === key).map((d) => d.event.id)).toEqual(sent);
        }
      }
    },
  },
  {
    name: 'nack: the message is redelivered (attempt counted) and later messages of its key wait',
    async run(h) {
      const topic = h.topic('nack');
      const broker = await h.broker();
      const first = makeEvent({ subject: 'k', data: { n: 1 } });
      const second = makeEvent({ subject: 'k', data: { n: 2 } });
      const log: { id: string; attempt: number }[] = [];
      let nacked = false;
      await broker.subscribe([topic], { group: h.group('nack') }, async (d) => {
        log.push({ id: d.event.id, attempt: d.attempt });
        if (d.event.id === first.id && !nacked) {
          nacked = true;
          await d.nack({ delayMs: 300 });
        } else {
          await d.ack();
        }
      });
      await broker.publish([
        { topic, key: 'k', event: first },
        { topic, key: 'k', event: second },
      ]);
      await h.waitFor('the redelivery and the second message', () => log.length >= 3);
      const redelivered = log.filter((l) => l.id === first.id);
      expect(redelivered).toHaveLength(2);
      expect(redelivered[1]?.attempt).toBeGreaterThan(redelivered[0]?.attempt ?? 0);
      if (broker.capabilities.orderedByKey) {
        expect(log.map((l) => l.id)).toEqual([first.id, first.id, second.id]);
      }
    },
  },
  {
    name: 'reconnect: after a server restart, new messages reach the existing subscription',
    skip: (_caps, options) => (options.restartServer ? undefined : 'no restartServer() given in the options'),
    async run(h) {
      const topic = h.topic('reconnect');
      const broker = await h.broker();
      const { deliveries } = await collect(broker, [topic], { group: h.group('reconnect') });
      const before = makeEvent();
      await broker.publish([{ topic, key: 'k1', event: before }]);
      await h.waitFor('the message published before the restart', () => deliveries.length >= 1);
      await h.options.restartServer?.();
      const after = makeEvent();
      // Publishing may fail while the client reconnects: retry like the relay would.
      await h.waitFor('a publish to succeed after the restart', async () => {
        const [r] = await broker.publish([{ topic, key: 'k2', event: after }]).catch(() => [{ ok: false }]);
        return r?.ok === true;
      });
      await h.waitFor('the message published after the restart', () =>
        deliveries.some((d) => d.event.id === after.id),
      );
    },
  },
  {
    name: 'ping() resolves; close() waits for in-flight handlers',
    async run(h) {
      const topic = h.topic('close');
      const broker = await h.broker();
      await broker.ping();
      const started: [number, number] = [0, 0];
      const finished: [number, number] = [0, 0];
      const slow = (i: 0 | 1) => async (d: Delivery) => {
        started[i]++;
        await sleep(300);
        finished[i]++;
        await d.ack();
      };
      const sub = await broker.subscribe([topic], { group: h.group('close-1') }, slow(0));
      await broker.subscribe([topic], { group: h.group('close-2') }, slow(1));
      await broker.publish([{ topic, key: 'k', event: makeEvent() }]);
      await h.waitFor('both handlers to start', () => started[0] === 1 && started[1] === 1);
      await sub.close();
      expect(finished[0]).toBe(1);
      h.forget(broker);
      await broker.close();
      expect(finished[1]).toBe(1);
    },
  },
];
