import type { CloudEvent, Delivery, DeliveryHandler } from '@outrig/messaging';
import { PostgresBusErrors } from '../errors.ts';
import { Coalescer } from './coalescer.ts';
import type { GroupStore } from './group-store.ts';
import type { Entry, PartitionState, Snapshot } from './partition-state.ts';

/** What the dispatcher needs from its member. */
export interface DispatcherOptions {
  readonly store: GroupStore;
  readonly handler: DeliveryHandler;
  readonly maxInFlight: number;
  readonly batchSize: number;
  readonly retryDelayMs: number;
  /** Rows were consumed: fetch more if the partition has a backlog. */
  readonly wantMore: () => void;
  /** A releasing partition has nothing in flight any more. */
  readonly drained: () => void;
  readonly report: (err: unknown) => void;
  /** Renews this member's leases now (coalesced); partitions not renewed are lost. */
  readonly renewLeases: () => Promise<void>;
  /** The lease length: `inProgress()` renews when less than half of it is left. */
  readonly leaseMs: number;
}

const SYNC_RETRY_MS = 500;
/**
 * An ack does not start a write of its own: it rides on the next one (new deliveries are
 * recorded at once, and under load that is within a few ms), or on a write this much later.
 */
const ACK_FLUSH_MS = 20;

/**
 * Hands the member's buffered entries to the handler and writes progress. A delivery starts
 * only once a fenced sync recorded it; an ack resolves after the sync that commits it. Syncs
 * are coalesced, so under load one write covers many acks and many new deliveries; an ack
 * alone never starts a sync, it waits for the next one (at most {@link ACK_FLUSH_MS} later).
 */
export class MemberDispatcher {
  /** Leased partitions, by `partKey`. */
  readonly owned = new Map<string, PartitionState>();
  /** Lost partitions whose handlers still run: not re-acquired until they settle (key order). */
  readonly zombies = new Map<string, PartitionState>();
  /** Deliveries reserved (marking) or running, over all partitions. */
  inFlight = 0;
  /** No new deliveries (closing). */
  stopped = false;
  /** Crashed on purpose: nothing is written any more and late acks do nothing. */
  dead = false;
  readonly #o: DispatcherOptions;
  readonly #syncer = new Coalescer(() => this.#syncOnce());
  readonly #idleWaiters: (() => void)[] = [];
  #rr = 0;
  #delayTimer: NodeJS.Timeout | undefined;
  #delayAt = Number.POSITIVE_INFINITY;
  #syncRetry: NodeJS.Timeout | undefined;
  #ackFlush: NodeJS.Timeout | undefined;
  /** Acks waiting for the next sync to start (and settle). */
  #ackWaiters: (() => void)[] = [];

  constructor(options: DispatcherOptions) {
    this.#o = options;
  }

  /** Starts what may start now, round-robin over partitions, within `maxInFlight`. */
  dispatch(): void {
    if (this.stopped) return;
    const now = performance.now();
    const parts = [...this.owned.values()];
    const first = this.#rr++ % Math.max(parts.length, 1);
    let wakeAt = Number.POSITIVE_INFINITY;
    let needSync = false;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[(first + i) % parts.length] as PartitionState;
      const budget = this.#o.maxInFlight - this.inFlight;
      if (budget <= 0) break;
      if (now >= p.leaseValidUntil) continue; // not renewed in time: maybe taken over already
      const ready = p.takeReady(now, budget);
      this.inFlight += ready.start.length + ready.mark.length;
      for (const e of ready.start) this.#run(p, e);
      if (ready.mark.length > 0) needSync = true;
      wakeAt = Math.min(wakeAt, ready.wakeAt);
    }
    if (needSync) void this.sync();
    if (wakeAt < this.#delayAt) {
      clearTimeout(this.#delayTimer);
      this.#delayAt = wakeAt;
      this.#delayTimer = setTimeout(
        () => {
          this.#delayAt = Number.POSITIVE_INFINITY;
          this.dispatch();
        },
        Math.max(0, wakeAt - now),
      );
    }
  }

  /** Resolves after a sync that started after this call (it covers every earlier ack and mark). */
  sync(): Promise<void> {
    return this.dead ? Promise.resolve() : this.#syncer.run();
  }

  /** The lease is gone: drop the partition; its running handlers' acks will do nothing. */
  lose(p: PartitionState): void {
    if (this.owned.get(p.key) === p) this.owned.delete(p.key);
    p.status = 'lost';
    this.inFlight -= p.unmark();
    if (p.inFlight > 0) this.zombies.set(p.key, p);
    this.#checkIdle();
  }

  /** Resolves once no delivery is reserved or running. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  stopTimers(): void {
    clearTimeout(this.#delayTimer);
    clearTimeout(this.#syncRetry);
    clearTimeout(this.#ackFlush);
    this.#ackFlush = undefined;
  }

  /** Crash: forget everything at once. */
  kill(): void {
    this.dead = true;
    this.stopped = true;
    this.stopTimers();
    this.owned.clear();
    for (const w of this.#idleWaiters.splice(0)) w();
    for (const w of this.#ackWaiters.splice(0)) w();
  }

  /** Resolves after the next sync (which commits the acks made so far); schedules one if none comes. */
  #afterNextSync(): Promise<void> {
    if (this.dead) return Promise.resolve();
    this.#ackFlush ??= setTimeout(() => {
      this.#ackFlush = undefined;
      void this.sync();
    }, ACK_FLUSH_MS);
    return new Promise((resolve) => this.#ackWaiters.push(resolve));
  }

  #run(p: PartitionState, e: Entry): void {
    let settled = false;
    const settle = (ack: boolean, delayMs: number): Promise<void> => {
      if (settled || this.dead) return Promise.resolve();
      settled = true;
      this.inFlight--;
      if (p.status === 'lost') {
        p.inFlight--;
        if (p.inFlight === 0 && this.zombies.get(p.key) === p) this.zombies.delete(p.key);
      } else if (ack) {
        p.ack(e);
      } else {
        p.nack(e, performance.now() + Math.max(0, delayMs));
      }
      this.#checkIdle();
      if (p.status === 'releasing' && p.drained) this.#o.drained();
      this.dispatch();
      if (ack && p.mayHaveMore && p.unacked <= this.#o.batchSize / 2) this.#o.wantMore();
      // An ack resolves once committed; a nack with a delay once the delay is written (a
      // restart or the next owner honours it).
      return (ack || delayMs > 0) && p.status !== 'lost' ? this.#afterNextSync() : Promise.resolve();
    };
    const delivery: Delivery = {
      topic: p.topic,
      key: e.key,
      event: e.event as CloudEvent,
      attempt: e.deliveries,
      ...(e.traceContext && { traceContext: e.traceContext }),
      ack: () => settle(true, 0),
      nack: (options) => settle(false, options?.delayMs ?? 0),
      inProgress: () => (settled ? Promise.resolve() : this.#keepLease(p)),
    };
    // A handler that returns without settling acked its message; one that throws nacks it.
    Promise.resolve()
      .then(() => this.#o.handler(delivery))
      .then(
        () => settle(true, 0),
        () => settle(false, this.#o.retryDelayMs),
      );
  }

  /**
   * `delivery.inProgress()`: leases are renewed every third of `leaseMs` while the process
   * lives, and a partition is never handed over while a handler of it runs, so this only renews
   * early when less than half the lease is left (an event loop that was blocked) and tells the
   * handler when the partition is gone (`PGBUS_LEASE_LOST`: its message will be redelivered).
   */
  async #keepLease(p: PartitionState): Promise<void> {
    if (p.status !== 'lost' && p.leaseValidUntil - performance.now() < this.#o.leaseMs / 2) {
      await this.#o.renewLeases();
    }
    if (p.status === 'lost' || this.dead) {
      throw PostgresBusErrors.PGBUS_LEASE_LOST({ params: { topic: p.topic, partition: p.partition } });
    }
  }

  #checkIdle(): void {
    if (this.inFlight === 0) for (const w of this.#idleWaiters.splice(0)) w();
  }

  async #syncOnce(): Promise<void> {
    // This sync covers every ack made so far: their waiters settle with it.
    const waiters = this.#ackWaiters.splice(0);
    clearTimeout(this.#ackFlush);
    this.#ackFlush = undefined;
    try {
      await this.#writeProgress();
    } finally {
      for (const w of waiters) w();
    }
  }

  async #writeProgress(): Promise<void> {
    if (this.dead) return;
    const snaps: { p: PartitionState; s: Snapshot }[] = [];
    for (const p of this.owned.values()) {
      const s = p.snapshot();
      if (s) snaps.push({ p, s });
    }
    if (snaps.length === 0) return;
    let accepted: Set<string>;
    try {
      accepted = await this.#o.store.sync(snaps.map(({ s }) => ({ ...s, marking: undefined })));
    } catch (err) {
      // Marked entries keep their slots and start once a later sync gets through (or the lease
      // is lost); retry soon rather than on the next ack, which may never come.
      for (const { p } of snaps) p.syncFailed();
      clearTimeout(this.#syncRetry);
      this.#syncRetry = setTimeout(() => void this.sync(), SYNC_RETRY_MS);
      this.#o.report(err);
      return;
    }
    for (const { p, s } of snaps) {
      if (this.owned.get(p.key) !== p || this.dead) continue;
      if (!accepted.has(p.key)) {
        this.lose(p);
        continue;
      }
      const started = p.synced(s);
      if (this.stopped) {
        // Closing: what was about to start goes back (the next owner redelivers it).
        for (const e of started) p.unstart(e);
        this.inFlight -= started.length + p.unmark();
        this.#checkIdle();
        continue;
      }
      for (const e of started) this.#run(p, e);
    }
  }
}
