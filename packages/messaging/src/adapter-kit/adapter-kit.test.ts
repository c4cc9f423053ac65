import { describe, expect, it } from 'vitest';
import type { OutgoingMessage, PublishResult, Subscription } from '../broker.ts';
import { BrokerResources, checkSubscribe, optionChecks, publishInKeyOrder } from './index.ts';

const message = (key: string, id: string) =>
  ({ topic: 't', key, event: { id } }) as unknown as OutgoingMessage;

describe('publishInKeyOrder', () => {
  it('runs a key one message at a time, keys concurrently, and skips a key after its failure', async () => {
    const log: string[] = [];
    const gates = new Map<string, () => void>();
    const publishOne = async ({ event, key }: OutgoingMessage): Promise<PublishResult> => {
      log.push(`start ${event.id}`);
      await new Promise<void>((resolve) => gates.set(event.id, resolve));
      log.push(`end ${event.id}`);
      return event.id === 'a1' ? { ok: false, error: new Error(`failed ${key}`) } : { ok: true };
    };
    const batch = [message('a', 'a1'), message('b', 'b1'), message('a', 'a2'), message('b', 'b2')];
    const publishing = publishInKeyOrder(batch, publishOne, ({ event }) => new Error(`skipped ${event.id}`));
    await new Promise((resolve) => setTimeout(resolve, 0));
    // Both keys started, neither's second message.
    expect(log).toEqual(['start a1', 'start b1']);
    gates.get('b1')?.();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(log).toEqual(['start a1', 'start b1', 'end b1', 'start b2']);
    gates.get('a1')?.();
    gates.get('b2')?.();
    const results = await publishing;
    expect(results.map((r) => (r.ok ? 'ok' : r.error.message))).toEqual([
      'failed a',
      'ok',
      'skipped a2',
      'ok',
    ]);
    expect(log).not.toContain('start a2');
  });
});

describe('checkSubscribe', () => {
  const rules = {
    defaultMaxInFlight: 64,
    assertTopic: (topic: string) => {
      if (topic.includes(' ')) throw new Error(`topic ${topic}`);
    },
    assertGroup: (group: string) => {
      if (typeof group !== 'string' || group === '') throw new Error('group');
    },
    invalid: (reason: string) => new Error(`invalid: ${reason}`),
  };

  it('applies defaults and deduplicates topics', () => {
    expect(checkSubscribe(['a', 'b', 'a'], { group: 'g' }, rules)).toEqual({
      topics: ['a', 'b'],
      group: 'g',
      maxInFlight: 64,
      startFrom: 'earliest',
    });
  });

  it("throws the adapter's errors", () => {
    expect(() => checkSubscribe([], { group: 'g' }, rules)).toThrow('invalid: give at least one topic');
    expect(() => checkSubscribe(['a b'], { group: 'g' }, rules)).toThrow('topic a b');
    expect(() => checkSubscribe(['a'], { group: '' }, rules)).toThrow('group');
    expect(() => checkSubscribe(['a'], { group: 'g', maxInFlight: 0 }, rules)).toThrow('maxInFlight');
    expect(() => checkSubscribe(['a'], { group: 'g', startFrom: 'middle' as 'latest' }, rules)).toThrow(
      'startFrom',
    );
  });
});

describe('optionChecks', () => {
  const check = optionChecks((option, reason) => new Error(`${option}: ${reason}`));
  it('checks integers in a range and booleans', () => {
    expect(() => check.int('n', 5, 1, 10)).not.toThrow();
    expect(() => check.int('n', 11, 1, 10)).toThrow('n: 11 is not an integer in 1…10');
    expect(() => check.int('n', 1.5, 1, 10)).toThrow('n: 1.5');
    expect(() => check.boolean('b', 'yes')).toThrow('b: must be true or false');
  });
});

describe('BrokerResources', () => {
  const closed = () => new Error('closed');
  const inner = () => {
    const s = { closes: 0, close: async () => void s.closes++ };
    return s;
  };

  it('drain closes the subscriptions first, then waits for publishes in flight', async () => {
    const r = new BrokerResources();
    const order: string[] = [];
    const sub: Subscription = { close: async () => void order.push('subscription closed') };
    await r.adopt(sub, closed);
    let finish!: () => void;
    const publishing = r.track(new Promise<void>((resolve) => (finish = resolve)));
    const draining = r.drain().then(() => order.push('drained'));
    expect(r.closing).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(order).toEqual(['subscription closed']);
    finish();
    await publishing;
    await draining;
    expect(order).toEqual(['subscription closed', 'drained']);
  });

  it('a subscription opened while closing is closed and refused; a closed one is forgotten', async () => {
    const r = new BrokerResources();
    const a = inner();
    const handed = await r.adopt(a, closed);
    await handed.close();
    expect(a.closes).toBe(1);
    const b = inner();
    await r.drain();
    expect(a.closes).toBe(1); // not closed twice by drain
    await expect(r.adopt(b, closed)).rejects.toThrow('closed');
    expect(b.closes).toBe(1);
  });
});
