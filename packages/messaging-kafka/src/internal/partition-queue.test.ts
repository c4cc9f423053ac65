import { describe, expect, it } from 'vitest';
import { PartitionQueue, type QueueEntry } from './partition-queue.ts';

describe('PartitionQueue', () => {
  it('makes a key ready one message at a time, in offset order', () => {
    const q = new PartitionQueue<string>('t', 0);
    const a0 = q.push(0n, 'a', 'a0') as QueueEntry<string>;
    expect(a0.value).toBe('a0');
    expect(q.push(1n, 'a', 'a1')).toBe('queued');
    const b2 = q.push(2n, 'b', 'b2') as QueueEntry<string>;
    expect(b2.value).toBe('b2');
    expect(q.done(b2)).toBeUndefined();
    expect(q.done(a0)?.value).toBe('a1');
  });

  it('commits the first unacked offset, never past it', () => {
    const q = new PartitionQueue<string>('t', 0);
    const a = q.push(10n, 'a', 'x') as QueueEntry<string>;
    const b = q.push(11n, 'b', 'y') as QueueEntry<string>;
    expect(q.takeCommit()).toBe(10n);
    q.done(b);
    expect(q.takeCommit()).toBeUndefined(); // still 10: `a` is not acked
    q.done(a);
    expect(q.takeCommit()).toBe(12n);
    q.commitFailed(12n);
    expect(q.takeCommit()).toBe(12n);
  });

  it('drops re-fetched offsets it already holds', () => {
    const q = new PartitionQueue<string>('t', 0);
    q.push(5n, 'a', 'x');
    expect(q.push(5n, 'a', 'x')).toBe('duplicate');
    expect(q.push(4n, 'a', 'x')).toBe('duplicate');
    expect(q.size).toBe(1);
  });
});
