import type { Delivery } from '@outrig/messaging';
import { expect } from 'vitest';
import { type ConformanceCheck, requires } from './conformance-check.ts';
import { collect, deferred, makeEvent, sleep } from './conformance-harness.ts';

/** Consumer groups, per-key order and crash redelivery, as far as the adapter claims them. */
export const groupChecks: ConformanceCheck[] = [
  {
    name: 'consumer groups: two members share the work, each message handled once',
    skip: requires('consumerGroups'),
    async run(h) {
      const topic = h.topic('share');
      const group = h.group('share');
      const seen: { member: number; id: string }[] = [];
      const handle = (member: number) => async (d: Delivery) => {
        seen.push({ member, id: d.event.id });
        await sleep(5);
        await d.ack();
      };
      const [a, b] = [await h.broker(), await h.broker()];
      await a.subscribe([topic], { group, maxInFlight: 2 }, handle(1));
      await b.subscribe([topic], { group, maxInFlight: 2 }, handle(2));
      // Publish in waves until both members got work: a member may need a moment to join.
      const published: string[] = [];
      for (let wave = 0; wave < 50; wave++) {
        const batch = Array.from({ length: 10 }, (_, i) => ({
          topic,
          key: `k${wave}-${i}`,
          event: makeEvent({ subject: `k${wave}-${i}` }),
        }));
        await a.publish(batch);
        published.push(...batch.map((m) => m.event.id));
        await sleep(50);
        if (new Set(seen.map((s) => s.member)).size === 2) break;
      }
      await h.waitFor(
        'every message to be handled',
        () => new Set(seen.map((s) => s.id)).size >= published.length,
      );
      expect(new Set(seen.map((s) => s.member))).toEqual(new Set([1, 2]));
      expect(seen.map((s) => s.id).sort()).toEqual([...published].sort());
    },
  },
  {
    name: 'consumer groups: two groups each receive every message',
    skip: requires('consumerGroups'),
    async run(h) {
      const topic = h.topic('fanout');
      const broker = await h.broker();
      const g1 = await collect(broker, [topic], { group: h.group('fan-1') });
      const g2 = await collect(await h.broker(), [topic], { group: h.group('fan-2') });
      const batch = Array.from({ length: 10 }, (_, i) => ({ topic, key: `k${i}`, event: makeEvent() }));
      await broker.publish(batch);
      const ids = batch.map((m) => m.event.id).sort();
      await h.waitFor(
        'both groups to get all 10',
        () => g1.deliveries.length >= 10 && g2.deliveries.length >= 10,
      );
      expect(g1.deliveries.map((d) => d.event.id).sort()).toEqual(ids);
      expect(g2.deliveries.map((d) => d.event.id).sort()).toEqual(ids);
    },
  },
  {
    name: 'per-key order: two members, interleaved keys, each key in publish order and never concurrent',
    skip: requires('orderedByKey'),
    async run(h) {
      const topic = h.topic('order');
      const group = h.group('order');
      const keys = Array.from({ length: 8 }, (_, i) => `agg-${i}`);
      const perKey = 6;
      const got = new Map<string, number[]>();
      const active = new Set<string>();
      const overlaps: string[] = [];
      const handle = async (d: Delivery) => {
        if (active.has(d.key)) overlaps.push(d.key);
        active.add(d.key);
        await sleep(Math.floor(Math.random() * 4));
        got.set(d.key, [...(got.get(d.key) ?? []), (d.event.data as { seq: number }).seq]);
        active.delete(d.key);
        await d.ack();
      };
      const members = [await h.broker()];
      if (members[0]?.capabilities.consumerGroups) members.push(await h.broker());
      for (const m of members) await m.subscribe([topic], { group, maxInFlight: 4 }, handle);
      const publisher = members[0];
      for (let seq = 0; seq < perKey; seq++) {
        const batch = keys.map((key) => ({ topic, key, event: makeEvent({ subject: key, data: { seq } }) }));
        const results = await publisher?.publish(batch);
        expect(results?.every((r) => r.ok)).toBe(true);
      }
      const total = () => [...got.values()].reduce((n, list) => n + list.length, 0);
      await h.waitFor(`all ${keys.length * perKey} messages`, () => total() >= keys.length * perKey);
      expect(overlaps).toEqual([]);
      for (const key of keys) expect(got.get(key)).toEqual([0, 1, 2, 3, 4, 5]);
    },
  },
  {
    name: 'crash: an unacked delivery of a crashed member goes to another member, first in its key',
    skip: (caps, options) =>
      !options.crash ? 'no crash() given in the conformance options' : requires('consumerGroups')(caps),
    async run(h) {
      const topic = h.topic('crash');
      const group = h.group('crash');
      const hang = deferred();
      const a = await h.broker();
      const gotA: Delivery[] = [];
      await a.subscribe([topic], { group }, async (d) => {
        gotA.push(d);
        await hang.promise; // never acks: the process "dies" while handling
      });
      const first = makeEvent({ subject: 'k' });
      const second = makeEvent({ subject: 'k' });
      try {
        await a.publish([
          { topic, key: 'k', event: first },
          { topic, key: 'k', event: second },
        ]);
        await h.waitFor('member A to receive the first message', () => gotA.length >= 1);
        await h.options.crash?.(a);
        const b = await h.broker();
        const { deliveries } = await collect(b, [topic], { group });
        await h.waitFor('member B to receive both messages', () => deliveries.length >= 2);
        expect(deliveries[0]?.event.id).toBe(first.id);
        expect(deliveries[0]?.attempt).toBeGreaterThanOrEqual(2);
        if (b.capabilities.orderedByKey) expect(deliveries[1]?.event.id).toBe(second.id);
      } finally {
        hang.resolve();
      }
    },
  },
];
