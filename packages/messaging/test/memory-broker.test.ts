import { randomUUID } from 'node:crypto';
import { isOutrigError } from '@outrig/core/errors';
import { type CloudEvent, createMemoryBroker, createMemoryHub, type Delivery } from '@outrig/messaging';
import { afterEach, describe, expect, it } from 'vitest';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

function broker(options?: Parameters<typeof createMemoryBroker>[0]) {
  const b = createMemoryBroker(options);
  open.push(b);
  return b;
}

function event(n: number, subject = 'k'): CloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '/services/test',
    type: 'test.happened',
    subject,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: { n },
  };
}

async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !predicate(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(predicate()).toBe(true);
}

describe('MemoryBroker', () => {
  it('gives a member at most maxInFlight deliveries at once, more as it acks', async () => {
    const b = broker();
    const held: Delivery[] = [];
    await b.subscribe(['t'], { group: 'g', maxInFlight: 2 }, async (d) => {
      held.push(d);
    });
    await b.publish([1, 2, 3, 4].map((n) => ({ topic: 't', key: `k${n}`, event: event(n, `k${n}`) })));
    await until(() => held.length === 2);
    await new Promise((r) => setTimeout(r, 20));
    expect(held).toHaveLength(2);
    await held[0]?.ack();
    await until(() => held.length === 3);
  });

  it('starts a new group from the earliest retained message, or only new ones with latest', async () => {
    const b = broker();
    await b.publish([{ topic: 't', key: 'k', event: event(1) }]);
    const early: number[] = [];
    const late: number[] = [];
    const record = (into: number[]) => async (d: Delivery) => {
      into.push((d.event.data as { n: number }).n);
      await d.ack();
    };
    await b.subscribe(['t'], { group: 'early' }, record(early));
    await b.subscribe(['t'], { group: 'late', startFrom: 'latest' }, record(late));
    await b.publish([{ topic: 't', key: 'k', event: event(2) }]);
    await until(() => early.length === 2 && late.length === 1);
    expect(early).toEqual([1, 2]);
    expect(late).toEqual([2]);
  });

  it('keeps a group durable while it has no member: messages wait for the next one', async () => {
    const hub = createMemoryHub();
    const a = broker({ hub });
    const sub = await a.subscribe(['t'], { group: 'g' }, async (d) => d.ack());
    await sub.close();
    await a.publish([{ topic: 't', key: 'k', event: event(1) }]);
    const got: Delivery[] = [];
    await broker({ hub }).subscribe(['t'], { group: 'g', startFrom: 'latest' }, async (d) => {
      got.push(d);
      await d.ack();
    });
    await until(() => got.length === 1);
  });

  it('redelivers when a handler throws without settling, and after the ack timeout', async () => {
    const b = broker({ ackTimeoutMs: 50, redeliveryDelayMs: 10 });
    const attempts: number[] = [];
    await b.subscribe(['t'], { group: 'g' }, async (d) => {
      attempts.push(d.attempt);
      if (d.attempt === 1) throw new Error('boom');
      if (d.attempt === 2) return; // never settles: the ack timeout hands it back
      await d.ack();
    });
    await b.publish([{ topic: 't', key: 'k', event: event(1) }]);
    await until(() => attempts.length === 3);
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('inProgress() keeps a slow delivery from being redelivered', async () => {
    const b = broker({ ackTimeoutMs: 60 });
    const attempts: number[] = [];
    await b.subscribe(['t'], { group: 'g' }, async (d) => {
      attempts.push(d.attempt);
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 30));
        await d.inProgress?.();
      }
      await d.ack();
    });
    await b.publish([{ topic: 't', key: 'k', event: event(1) }]);
    await until(() => attempts.length === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(attempts).toEqual([1]);
  });

  it('crash() returns unacked deliveries to the group and ignores the dead member’s late acks', async () => {
    const hub = createMemoryHub();
    const a = broker({ hub });
    const fromA: Delivery[] = [];
    await a.subscribe(['t'], { group: 'g' }, async (d) => {
      fromA.push(d);
    });
    await a.publish([{ topic: 't', key: 'k', event: event(1) }]);
    await until(() => fromA.length === 1);
    await a.crash();
    await fromA[0]?.ack(); // too late: the process is "dead"
    const fromB: Delivery[] = [];
    await broker({ hub }).subscribe(['t'], { group: 'g' }, async (d) => {
      fromB.push(d);
      await d.ack();
    });
    await until(() => fromB.length === 1);
    expect(fromB[0]?.attempt).toBe(2);
    await expect(a.publish([{ topic: 't', key: 'k', event: event(2) }])).rejects.toSatisfy((e) =>
      isOutrigError(e, 'BUS_CLOSED'),
    );
  });

  it('delivers a copy made through JSON, and lists what was published', async () => {
    const b = broker();
    const e = event(1);
    const got: Delivery[] = [];
    await b.subscribe(['t'], { group: 'g' }, async (d) => {
      got.push(d);
      await d.ack();
    });
    await b.publish([{ topic: 't', key: 'k', event: e }]);
    await until(() => got.length === 1);
    expect(got[0]?.event).toEqual(e);
    expect(got[0]?.event).not.toBe(e);
    expect(b.hub.messages('t')).toEqual([e]);
  });

  it('fails a message that cannot be serialized, and the later messages of its key in the batch', async () => {
    const b = broker();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const results = await b.publish([
      { topic: 't', key: 'a', event: { ...event(1), data: circular } },
      { topic: 't', key: 'a', event: event(2) },
      { topic: 't', key: 'b', event: event(3) },
    ]);
    expect(results.map((r) => r.ok)).toEqual([false, false, true]);
  });

  it('rejects bad subscribe options with BUS_OPTIONS_INVALID', async () => {
    const b = broker();
    await expect(b.subscribe([], { group: 'g' }, async () => {})).rejects.toSatisfy((e) =>
      isOutrigError(e, 'BUS_OPTIONS_INVALID'),
    );
    await expect(b.subscribe(['t'], { group: 'g', maxInFlight: 0 }, async () => {})).rejects.toSatisfy((e) =>
      isOutrigError(e, 'BUS_OPTIONS_INVALID'),
    );
    expect(() => createMemoryBroker({ ackTimeoutMs: -1 })).toThrow(/ackTimeoutMs/);
  });
});
