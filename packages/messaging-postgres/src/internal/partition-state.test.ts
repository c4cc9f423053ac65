import { describe, expect, it } from 'vitest';
import type { LogRow } from './group-store.ts';
import { PartitionState } from './partition-state.ts';

function state(committed = 0, inflight: Record<string, number> = {}) {
  return new PartitionState(
    { topic: 't', partition: 0, epoch: 1, committed, inflight, delays: {} },
    Number.POSITIVE_INFINITY,
  );
}

function rows(...keys: string[]): LogRow[] {
  return keys.map((key, i) => ({ topic: 't', partition: 0, offset: i + 1, key, event: { id: `e${i + 1}` } }));
}

/** Runs one dispatch round and simulates a successful sync of whatever was marked. */
function take(p: PartitionState, now = 0, budget = 100) {
  const { start, mark, wakeAt } = p.takeReady(now, budget);
  const snap = p.snapshot();
  const started = snap ? p.synced(snap) : [];
  return { out: [...start, ...started], marked: mark.length, wakeAt, snap };
}

describe('PartitionState', () => {
  it('hands out the first message of each key, one at a time per key, after recording it', () => {
    const p = state();
    p.add(rows('a', 'b', 'a', 'c'));
    const first = p.takeReady(0, 100);
    expect(first.start).toEqual([]);
    expect(first.mark.map((e) => e.offset)).toEqual([1, 2, 4]);
    const snap = p.snapshot();
    expect(snap?.inflight).toEqual({ 1: 1, 2: 1, 4: 1 });
    expect(p.synced(snap!).map((e) => e.deliveries)).toEqual([1, 1, 1]);
    expect(take(p).out).toEqual([]); // offset 3 waits for key a
  });

  it('commits only the contiguous acked prefix', () => {
    const p = state();
    p.add(rows('a', 'b', 'c'));
    const [e1, e2, e3] = take(p).out;
    p.ack(e3!);
    p.ack(e2!);
    expect(p.ackedUpTo).toBe(0);
    expect(p.snapshot()?.committed).toBe(0);
    p.ack(e1!);
    expect(p.ackedUpTo).toBe(3);
    const snap = p.snapshot();
    expect(snap?.committed).toBe(3);
    expect(snap?.inflight).toEqual({});
  });

  it('releases the next message of a key after the ack', () => {
    const p = state();
    p.add(rows('a', 'a'));
    const [e1] = take(p).out;
    p.ack(e1!);
    expect(take(p).out.map((e) => e.offset)).toEqual([2]);
  });

  it('keeps a nacked key blocked until its delay passes, then redelivers it first with attempt+1', () => {
    const p = state();
    p.add(rows('a', 'a', 'b'));
    const [a1, b3] = take(p).out;
    p.nack(a1!, 1000);
    const mid = take(p, 500);
    expect(mid.out).toEqual([]);
    expect(mid.wakeAt).toBe(1000);
    p.ack(b3!);
    const again = take(p, 1000);
    expect(again.out.map((e) => [e.offset, e.deliveries])).toEqual([[1, 2]]);
  });

  it('respects the in-flight budget', () => {
    const p = state();
    p.add(rows('a', 'b', 'c', 'd'));
    expect(take(p, 0, 2).out).toHaveLength(2);
    expect(p.inFlight).toBe(2);
  });

  it('continues the attempt count of messages an earlier owner handed out', () => {
    const p = state(0, { 1: 2 });
    p.add(rows('a', 'b'));
    const out = take(p).out;
    expect(out.map((e) => e.deliveries)).toEqual([3, 1]);
  });

  it('keeps earlier owners’ deliveries in its writes until they are fetched again', () => {
    const p = state(0, { 7: 1 });
    p.add(rows('a'));
    const [e1] = take(p).out;
    p.ack(e1!);
    expect(p.snapshot()?.inflight).toEqual({ 7: 1 });
  });

  it('unmark frees reserved slots; a lost partition hands out nothing', () => {
    const p = state();
    p.add(rows('a', 'b'));
    p.takeReady(0, 100);
    expect(p.unmark()).toBe(2);
    expect(p.inFlight).toBe(0);
    p.status = 'lost';
    expect(p.takeReady(0, 100).mark).toEqual([]);
  });

  it('while releasing, fills the holes below the highest ack and nothing beyond, then is drained', () => {
    const p = state();
    p.add(rows('a', 'a', 'b', 'c'));
    const [a1, b3] = take(p, 0, 2).out;
    p.ack(b3!); // offset 3 acked beyond the hole at 1–2
    p.status = 'releasing';
    expect(p.drained).toBe(false);
    p.ack(a1!);
    const [a2, more] = take(p).out;
    expect(a2?.offset).toBe(2);
    expect(more).toBeUndefined(); // offset 4 (key c) stays for the next owner
    p.ack(a2!);
    expect(p.ackedUpTo).toBe(3);
    expect(p.drained).toBe(true);
  });

  it('writes a running nack delay as wall-clock time, and a new owner holds the message until then', () => {
    const p = state();
    p.add(rows('a', 'b'), 0, 1_000_000);
    const [a1] = take(p).out;
    p.nack(a1!, 1000 + 5000); // monotonic now = 1000, delay 5 s
    const snap = p.snapshot(1000, 1_000_000);
    expect(snap?.delays).toEqual({ 1: 1_005_000 });
    expect(snap?.inflight).toEqual({ 1: 1, 2: 1 });

    // The next owner (another process, other clocks) gets the recorded delay with the lease.
    const heir = new PartitionState(
      { topic: 't', partition: 0, epoch: 2, committed: 0, inflight: { 1: 1 }, delays: { 1: 1_005_000 } },
      Number.POSITIVE_INFINITY,
    );
    heir.add(rows('a', 'b'), 50, 1_002_000); // 3 s of the delay left
    const ready = heir.takeReady(50, 100);
    expect(ready.mark.map((e) => e.offset)).toEqual([2]); // key b flows; key a waits
    expect(ready.wakeAt).toBe(3050);
    expect(heir.snapshot(50, 1_002_000)?.delays).toEqual({ 1: 1_005_000 });
  });
});
