import { randomUUID } from 'node:crypto';
import type { SqlQueryable } from '@outrig/db';
import type { DeliveryHandler, Subscription } from '@outrig/messaging';
import { assignPartitions } from './assignment.ts';
import { Coalescer } from './coalescer.ts';
import { GroupStore, type LogRow, type PartitionRef, partKey } from './group-store.ts';
import { MemberDispatcher } from './member-dispatcher.ts';
import { PartitionState } from './partition-state.ts';
import type { TopicRegistry } from './topic-registry.ts';

/** What one subscription (one member of a consumer group) needs. */
export interface GroupMemberOptions {
  readonly sql: SqlQueryable;
  readonly schema: string;
  readonly registry: TopicRegistry;
  readonly group: string;
  readonly topics: readonly string[];
  readonly startFrom: 'earliest' | 'latest';
  readonly maxInFlight: number;
  readonly batchSize: number;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  readonly retryDelayMs: number;
  readonly handler: DeliveryHandler;
  readonly onError: (error: Error) => void;
}

/**
 * One member of a consumer group. A membership tick (every third of the lease) heartbeats,
 * renews its leases, hands back partitions that now belong to others and takes its fair share
 * of free ones; a fetch loop reads each leased partition in offset order; the
 * {@link MemberDispatcher} hands entries out and writes progress. A jittered poll is the safety
 * net; LISTEN wake-ups only make the next fetch happen sooner.
 */
export class GroupMember implements Subscription {
  readonly id = randomUUID();
  readonly topics: readonly string[];
  readonly #o: GroupMemberOptions;
  readonly #store: GroupStore;
  readonly #d: MemberDispatcher;
  readonly #fetcher = new Coalescer(() => this.#fetchOnce());
  readonly #renewer = new Coalescer(() => this.#renew().catch((err) => this.#report(err)));
  #closing = false;
  #closed: Promise<void> | undefined;
  #tickTimer: NodeJS.Timeout | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #fetchRetry: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;

  constructor(options: GroupMemberOptions) {
    this.#o = options;
    this.topics = options.topics;
    this.#store = new GroupStore(options.sql, options.schema, options.group, this.id, options.leaseMs);
    this.#d = new MemberDispatcher({
      store: this.#store,
      handler: options.handler,
      maxInFlight: options.maxInFlight,
      batchSize: options.batchSize,
      retryDelayMs: options.retryDelayMs,
      wantMore: () => void this.#fetcher.run(),
      drained: () => void this.#finishReleases().catch((err) => this.#report(err)),
      report: (err) => this.#report(err),
      renewLeases: () => this.#renewer.run(),
      leaseMs: options.leaseMs,
    });
  }

  /** Joins the group and takes a first share of partitions. */
  async start(): Promise<void> {
    await this.#store.join(this.topics, this.#o.startFrom);
    await this.#tick();
    this.#schedulePoll();
  }

  /** A hint that `topics` (or anything, `'*'`) got new messages. */
  wake(topics: readonly string[] | '*'): void {
    if (this.#closing) return;
    if (topics === '*' || topics.some((t) => this.topics.includes(t))) void this.#fetcher.run();
  }

  /** Partitions currently leased (diagnostics). */
  ownedPartitions(): PartitionRef[] {
    return [...this.#d.owned.values()].map((p) => ({ topic: p.topic, partition: p.partition }));
  }

  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  /** Stops at once as a crash would: no commit, no release; leases expire on their own. */
  destroy(): void {
    this.#closing = true;
    this.#stopTimers();
    this.#d.kill();
  }

  async #close(): Promise<void> {
    this.#closing = true;
    this.#d.stopped = true;
    this.#stopTimers();
    await this.#ticking;
    await this.#d.sync(); // settles deliveries that were being recorded (they go back)
    await this.#d.idle(); // running handlers finish and ack
    await this.#d.sync(); // commits those acks
    this.#d.stopTimers();
    if (this.#d.dead) return;
    const held = [...this.#d.owned.values()];
    this.#d.owned.clear();
    try {
      await this.#store.release(held);
      await this.#store.leave();
    } catch (err) {
      this.#report(err);
    }
  }

  #stopTimers(): void {
    for (const t of [this.#tickTimer, this.#pollTimer, this.#fetchRetry]) clearTimeout(t);
  }

  #report(err: unknown): void {
    if (!this.#d.dead) this.#o.onError(err instanceof Error ? err : new Error(String(err)));
  }

  // --- membership, leases, rebalancing -------------------------------------------------------

  #scheduleTick(): void {
    if (this.#closing) return;
    this.#tickTimer = setTimeout(
      () => {
        this.#ticking = this.#tick().finally(() => {
          this.#ticking = undefined;
        });
      },
      jitter(this.#o.leaseMs / 3, 0.1),
    );
  }

  async #tick(): Promise<void> {
    try {
      const members = await this.#store.heartbeat(this.topics);
      await this.#renew();
      const desired = assignPartitions(this.id, members, this.topics, (t) =>
        this.#o.registry.partitionsOf(t),
      );
      const desiredKeys = new Set(desired.map((d) => partKey(d.topic, d.partition)));
      for (const p of this.#d.owned.values()) {
        if (!desiredKeys.has(p.key) && p.status === 'active') {
          p.status = 'releasing';
          p.releasingSince = performance.now();
        }
      }
      this.#d.dispatch();
      await this.#finishReleases();
      if (this.#closing) return;
      const wanted = desired.filter((d) => {
        const k = partKey(d.topic, d.partition);
        return !this.#d.owned.has(k) && !this.#d.zombies.has(k);
      });
      const t0 = performance.now();
      const acquired = await this.#store.acquire(wanted);
      if (this.#closing) {
        await this.#store.release(acquired);
        return;
      }
      for (const lease of acquired) {
        this.#d.owned.set(
          partKey(lease.topic, lease.partition),
          new PartitionState(lease, t0 + this.#o.leaseMs),
        );
      }
      if (acquired.length > 0) void this.#fetcher.run();
    } catch (err) {
      this.#report(err);
    } finally {
      this.#scheduleTick();
    }
  }

  async #renew(): Promise<void> {
    const held = [...this.#d.owned.values()];
    // Measured before the request: the database starts the new lease later than this.
    const t0 = performance.now();
    const renewed = await this.#store.renew(held);
    for (const p of held) {
      if (this.#d.owned.get(p.key) !== p) continue;
      if (renewed.has(p.key)) p.leaseValidUntil = t0 + this.#o.leaseMs;
      else this.#d.lose(p);
    }
    this.#d.dispatch();
  }

  /**
   * Hands back `releasing` partitions once drained (or, if a nack delay keeps a hole open, after
   * a lease period), after writing their progress.
   */
  async #finishReleases(): Promise<void> {
    const now = performance.now();
    const ready = [...this.#d.owned.values()].filter(
      (p) =>
        p.status === 'releasing' &&
        p.inFlight === 0 &&
        (p.drained || now - p.releasingSince > this.#o.leaseMs),
    );
    if (ready.length === 0) return;
    for (const p of ready) p.status = 'handover'; // nothing more goes out from here on
    await this.#d.sync();
    const still = ready.filter((p) => this.#d.owned.get(p.key) === p);
    for (const p of still) this.#d.owned.delete(p.key);
    await this.#store.release(still);
  }

  // --- fetching --------------------------------------------------------------------------------

  #schedulePoll(): void {
    if (this.#closing) return;
    this.#pollTimer = setTimeout(
      () => {
        void this.#fetcher.run();
        this.#d.dispatch();
        this.#schedulePoll();
      },
      jitter(this.#o.pollIntervalMs, 0.2),
    );
  }

  async #fetchOnce(): Promise<void> {
    const batch = this.#o.batchSize;
    const parts = [...this.#d.owned.values()].filter(
      (p) => p.status === 'active' && p.unacked < batch && p.buffered < batch * 10,
    );
    if (this.#closing || parts.length === 0) return;
    const asked = parts.map((p) => ({ p, after: p.cursor, limit: batch - p.unacked }));
    let rows: LogRow[];
    try {
      rows = await this.#store.fetch(
        asked.map((a) => ({ topic: a.p.topic, partition: a.p.partition, after: a.after, limit: a.limit })),
      );
    } catch (err) {
      this.#report(err);
      // The database may be back in a moment; do not wait for a wake-up that was already spent.
      clearTimeout(this.#fetchRetry);
      this.#fetchRetry = setTimeout(() => void this.#fetcher.run(), Math.min(this.#o.pollIntervalMs, 1000));
      return;
    }
    const byPartition = new Map<string, LogRow[]>();
    for (const r of rows) {
      const k = partKey(r.topic, r.partition);
      byPartition.set(k, [...(byPartition.get(k) ?? []), r]);
    }
    let more = false;
    for (const a of asked) {
      if (this.#d.owned.get(a.p.key) !== a.p || a.p.cursor !== a.after) continue;
      const mine = byPartition.get(a.p.key) ?? [];
      a.p.add(mine);
      a.p.mayHaveMore = mine.length === a.limit;
      if (a.p.mayHaveMore && a.p.unacked < batch) more = true;
    }
    this.#d.dispatch();
    if (more) void this.#fetcher.run();
  }
}

function jitter(ms: number, spread: number): number {
  return ms * (1 - spread + Math.random() * 2 * spread);
}
