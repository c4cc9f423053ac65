import type { TraceCarrier } from '@outrig/messaging';
import type { AcquiredLease, LogRow, PartitionSync } from './group-store.ts';
import { partKey } from './group-store.ts';

/**
 * `pending`: waiting (maybe for a nack delay); `marking`: chosen, its delivery being recorded;
 * `inflight`: with a handler; `acked`: done, kept until the committed prefix passes it.
 */
export type EntryState = 'pending' | 'marking' | 'inflight' | 'acked';

/** One fetched message of a partition. */
export interface Entry {
  readonly offset: number;
  readonly key: string;
  event: unknown;
  /** The publisher's trace context, when the log row had one. */
  traceContext?: TraceCarrier;
  state: EntryState;
  /** Times handed to a handler, including by earlier owners. */
  deliveries: number;
  /** Deliveries recorded in the database (a delivery starts only once recorded). */
  marked: number;
  /** Monotonic time before which a nacked entry is not redelivered. */
  notBefore: number;
}

/** A write prepared by {@link PartitionState.snapshot}. */
export interface Snapshot extends PartitionSync {
  readonly marking: readonly Entry[];
}

/**
 * The in-memory state of one leased partition: the fetched entries in offset order and the rules
 * that hand them out. Pure logic (no I/O, no timers), so its rules are unit-tested:
 * - a key's entries go out one at a time, in offset order; a nacked entry keeps its key blocked
 *   until it is redelivered and acked;
 * - the committed offset only advances over a contiguous prefix of acked entries;
 * - a delivery starts only after the database recorded it (`inflight` map), so after a crash the
 *   next owner knows which messages were already handed out and counts `attempt` on from there.
 */
export class PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly epoch: number;
  readonly key: string;
  /**
   * `releasing`: being handed to another member (no new fetches, holes still filled);
   * `handover`: drained and being released (nothing goes out); `lost`: the lease is gone.
   */
  status: 'active' | 'releasing' | 'handover' | 'lost' = 'active';
  /** Highest offset the database has as committed for this group. */
  committed: number;
  /** End of the contiguous acked prefix (what the next sync commits). */
  ackedUpTo: number;
  /** Highest fetched offset. */
  cursor: number;
  /** Monotonic time until which the lease is surely still ours (renewal time + lease). */
  leaseValidUntil: number;
  /** The last fetch was full: more rows are probably waiting. */
  mayHaveMore = true;
  /** Entries marking or in flight. */
  inFlight = 0;
  /** Monotonic time the partition started `releasing`. */
  releasingSince = 0;
  #highestAcked = 0;
  readonly #entries: Entry[] = [];
  readonly #prior: Map<number, number>;
  /** Nack delays recorded by earlier owners (offset → wall-clock ms), for entries not fetched yet. */
  readonly #priorDelays: Map<number, number>;
  #unacked = 0;
  #dirty = false;

  constructor(lease: AcquiredLease, leaseValidUntil: number) {
    this.topic = lease.topic;
    this.partition = lease.partition;
    this.epoch = lease.epoch;
    this.key = partKey(lease.topic, lease.partition);
    this.committed = lease.committed;
    this.ackedUpTo = lease.committed;
    this.cursor = lease.committed;
    this.leaseValidUntil = leaseValidUntil;
    this.#prior = new Map(Object.entries(lease.inflight).map(([o, n]) => [Number(o), n]));
    this.#priorDelays = new Map(Object.entries(lease.delays ?? {}).map(([o, until]) => [Number(o), until]));
    this.#highestAcked = lease.committed;
  }

  /**
   * A releasing partition is drained when nothing is in flight and no acked entry lies beyond a
   * hole: the next owner then starts exactly after what was handled, with no duplicates.
   */
  get drained(): boolean {
    return this.inFlight === 0 && this.ackedUpTo >= this.#highestAcked;
  }

  /** Entries not yet acked. */
  get unacked(): number {
    return this.#unacked;
  }

  /** All buffered entries, acked ones included. */
  get buffered(): number {
    return this.#entries.length;
  }

  /**
   * Appends fetched rows (offset order, all above `cursor`). `now` is the monotonic clock of
   * `notBefore`, `wallNow` the wall clock recorded nack delays are in.
   */
  add(rows: readonly LogRow[], now = performance.now(), wallNow = Date.now()): void {
    for (const row of rows) {
      if (row.offset <= this.cursor) continue;
      const prior = this.#prior.get(row.offset) ?? 0;
      this.#prior.delete(row.offset);
      const delayedUntil = this.#priorDelays.get(row.offset);
      this.#priorDelays.delete(row.offset);
      this.#entries.push({
        offset: row.offset,
        key: row.key,
        event: row.event,
        traceContext: row.traceContext,
        state: 'pending',
        deliveries: prior,
        marked: prior,
        // A delay recorded in wall-clock time (it survives restarts), back on this clock.
        notBefore: delayedUntil === undefined ? 0 : now + Math.max(0, delayedUntil - wallNow),
      });
      this.#unacked++;
      this.cursor = row.offset;
    }
  }

  /**
   * Picks up to `budget` entries to hand out: the first unacked entry of each key, if it is not
   * already out and its nack delay has passed. Those already recorded start now (`start`);
   * the others become `marking` and start after the next sync. `wakeAt` is the earliest nack
   * delay still running among keys' first entries. While `releasing`, only entries below the
   * highest acked offset go out (filling the holes, so the committed prefix covers every ack).
   */
  takeReady(now: number, budget: number): { start: Entry[]; mark: Entry[]; wakeAt: number } {
    const start: Entry[] = [];
    const mark: Entry[] = [];
    let wakeAt = Number.POSITIVE_INFINITY;
    if (this.status === 'lost' || this.status === 'handover' || budget <= 0) return { start, mark, wakeAt };
    const limit = this.status === 'releasing' ? this.#highestAcked : Number.POSITIVE_INFINITY;
    const blocked = new Set<string>();
    for (const e of this.#entries) {
      if (start.length + mark.length >= budget || e.offset >= limit) break;
      if (e.state === 'acked' || blocked.has(e.key)) continue;
      blocked.add(e.key);
      if (e.state !== 'pending') continue;
      if (e.notBefore > now) {
        wakeAt = Math.min(wakeAt, e.notBefore);
        continue;
      }
      if (e.marked > e.deliveries) {
        e.state = 'inflight';
        e.deliveries++;
        start.push(e);
      } else {
        e.state = 'marking';
        mark.push(e);
        this.#dirty = true;
      }
    }
    this.inFlight += start.length + mark.length;
    return { start, mark, wakeAt };
  }

  /** Marks an in-flight entry done and advances the acked prefix. */
  ack(e: Entry): void {
    if (e.state !== 'inflight') return;
    e.state = 'acked';
    e.event = undefined;
    e.traceContext = undefined;
    this.#highestAcked = Math.max(this.#highestAcked, e.offset);
    this.inFlight--;
    this.#unacked--;
    this.#dirty = true;
    while (this.#entries[0]?.state === 'acked') {
      this.ackedUpTo = (this.#entries.shift() as Entry).offset;
    }
  }

  /** Puts an in-flight entry back; its key stays blocked until `notBefore`. */
  nack(e: Entry, notBefore: number): void {
    if (e.state !== 'inflight') return;
    e.state = 'pending';
    e.notBefore = notBefore;
    this.inFlight--;
    // The delay is part of the partition's progress: written with the next sync.
    this.#dirty = true;
  }

  /**
   * The write the next sync should make, or undefined when nothing changed. Nack delays still
   * running at `now` (monotonic) are written as wall-clock times (`wallNow`).
   */
  snapshot(now = performance.now(), wallNow = Date.now()): Snapshot | undefined {
    if (!this.#dirty) return undefined;
    this.#dirty = false;
    const inflight: Record<string, number> = {};
    const delays: Record<string, number> = {};
    const marking: Entry[] = [];
    for (const e of this.#entries) {
      if (e.state === 'acked') continue;
      if (e.state === 'pending' && e.notBefore > now)
        delays[e.offset] = Math.ceil(wallNow + e.notBefore - now);
      if (e.state === 'marking') {
        marking.push(e);
        inflight[e.offset] = e.deliveries + 1;
      } else if (e.deliveries > 0) {
        inflight[e.offset] = e.deliveries;
      }
    }
    // Deliveries of earlier owners not fetched again yet must survive this write.
    for (const [offset, n] of this.#prior) if (offset > this.ackedUpTo) inflight[offset] = n;
    for (const [offset, until] of this.#priorDelays) {
      if (offset > this.ackedUpTo && until > wallNow) delays[offset] = until;
    }
    return {
      topic: this.topic,
      partition: this.partition,
      epoch: this.epoch,
      committed: this.ackedUpTo,
      inflight,
      delays,
      marking,
    };
  }

  /** The snapshot was written: its marked entries may start now (returned, already `inflight`). */
  synced(snap: Snapshot): Entry[] {
    this.committed = Math.max(this.committed, snap.committed);
    const started: Entry[] = [];
    for (const e of snap.marking) {
      if (e.state !== 'marking') continue;
      e.marked = e.deliveries + 1;
      e.deliveries++;
      e.state = 'inflight';
      started.push(e);
    }
    return started;
  }

  /** Takes back an entry {@link synced} just started, before any handler saw it. */
  unstart(e: Entry): void {
    if (e.state !== 'inflight') return;
    e.state = 'pending';
    e.deliveries--;
    this.inFlight--;
  }

  /** The write failed (database error): try again with the next sync. */
  syncFailed(): void {
    this.#dirty = true;
  }

  /** Returns `marking` entries to `pending` (closing or lost); returns how many. */
  unmark(): number {
    let n = 0;
    for (const e of this.#entries) {
      if (e.state === 'marking') {
        e.state = 'pending';
        n++;
      }
    }
    this.inFlight -= n;
    return n;
  }

  /** True when something waits to be written. */
  get dirty(): boolean {
    return this.#dirty;
  }
}
