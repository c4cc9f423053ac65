import { MessagingErrors } from '../errors.ts';
import { outboxStatus } from '../outbox/outbox-admin.ts';
import { OUTBOX_CHANNEL } from '../outbox/outbox-migrations.ts';
import { onOutboxCommit } from '../outbox/outbox-signal.ts';
import { type OutboxListener, pgListen } from './pg-listen.ts';
import { type BatchReport, relayBatch } from './relay-batch.ts';
import { createRelayLeases } from './relay-leases.ts';
import { type OutboxRelayOptions, resolveRelayOptions } from './relay-options.ts';
import { deleteExpired } from './relay-sql.ts';

/** Counters and gauges for metrics (`@outrig/core` maps them to Prometheus). */
export interface OutboxRelayStats {
  readonly id: string;
  readonly running: boolean;
  /** Partitions this relay holds now. */
  readonly partitions: readonly number[];
  /** Events this relay published (broker said ok). */
  readonly publishedTotal: number;
  /** Failed publish attempts. */
  readonly failedTotal: number;
  /** Rows this relay parked after their last attempt. */
  readonly parkedTotal: number;
  /** Rows whose outcome was refused because the lease had moved on (fencing at work). */
  readonly fencedTotal: number;
  readonly batchesTotal: number;
  /** Errors survived (database or broker unreachable, …). */
  readonly errorsTotal: number;
  /** Lag: age of the oldest event of the latest fetch when it was fetched; null when that fetch found nothing. */
  readonly lastBatchAgeMs: number | null;
  /** Whole-outbox gauges, refreshed every lease period / 3 (same value on every relay). */
  readonly pending: number | null;
  readonly parked: number | null;
  readonly oldestPendingAgeMs: number | null;
}

/** A running relay: publishes committed outbox rows to the broker. */
export interface OutboxRelay {
  readonly id: string;
  /** Registers, takes its share of partition leases, starts LISTEN and the loop. Rejects if the database is unreachable. */
  start(): Promise<void>;
  /** Finishes the in-flight batch (publish and mark), releases its leases, stops LISTEN. Idempotent. */
  stop(): Promise<void>;
  /** Fetch now instead of at the next poll. */
  wake(): void;
  stats(): OutboxRelayStats;
}

/**
 * Creates the outbox relay. Several relays (processes) may run against one database: they split
 * the partitions between them through leases on the database clock, and every write a relay makes
 * is fenced by its lease epoch, so a paused relay that wakes up after losing its lease changes
 * nothing. Delivery is at least once, in version order per aggregate.
 *
 * @throws `RELAY_OPTIONS_INVALID` at creation for bad options.
 * @example
 * const relay = createOutboxRelay({ sql, broker, listen: databaseUrl });
 * await relay.start();
 * // on shutdown:
 * await relay.stop();
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const opts = resolveRelayOptions(options);
  const leases = createRelayLeases(opts.sql, opts.id, opts.leaseMs);
  const leaseTick = Math.max(1, Math.floor(opts.leaseMs / 3));
  const counters = { published: 0, failed: 0, parked: 0, fenced: 0, batches: 0, errors: 0 };
  const gauges = {
    lastBatchAgeMs: null as number | null,
    pending: null as number | null,
    parked: null as number | null,
    oldest: null as number | null,
  };
  let state: 'new' | 'running' | 'stopped' = 'new';
  let loop: Promise<void> | undefined;
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let renewTimer: NodeJS.Timeout | undefined;
  let listener: OutboxListener | undefined;
  let unsubscribe: (() => void) | undefined;
  let woken = false;
  let interrupt: (() => void) | undefined;

  const fail = (error: unknown, during: string) => {
    counters.errors++;
    opts.onError(error, during);
  };
  const wake = () => {
    woken = true;
    interrupt?.();
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken || state !== 'running') {
        woken = false;
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        interrupt = undefined;
        woken = false;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      interrupt = done;
    });
  const jitter = (ms: number) => ms * (0.75 + Math.random() * 0.5);

  const account = (report: BatchReport) => {
    // Lag describes the latest fetch: one that found nothing means the relay is caught up (null).
    gauges.lastBatchAgeMs = report.oldestAgeMs;
    if (report.fetched === 0) return;
    counters.batches++;
    counters.published += report.published;
    counters.failed += report.failed;
    counters.parked += report.parked;
    counters.fenced += report.fenced;
  };
  const refreshGauges = async () => {
    const status = await outboxStatus(opts.sql);
    gauges.pending = status.pending;
    gauges.parked = status.parked;
    gauges.oldest = status.oldestPendingAgeMs;
  };
  /** Bounded so the loop is never held for long; says whether more is left. */
  const cleanup = async () => {
    for (let i = 0; i < 10; i++) {
      if ((await deleteExpired(opts.sql, opts.retentionMs, 1_000)) < 1_000) return false;
    }
    return true;
  };

  const run = async () => {
    let nextRebalance = 0;
    let nextCleanup = 0;
    let errorDelay = opts.pollIntervalMs;
    let outageDelay = opts.backoff.baseMs;
    while (state === 'running') {
      try {
        if (Date.now() >= nextRebalance) {
          await leases.rebalance();
          nextRebalance = Date.now() + leaseTick;
          await refreshGauges().catch((error) => fail(error, 'outbox status'));
        }
        const owned = leases.owned();
        let busy = false;
        if (owned.size > 0) {
          const report = await relayBatch(opts, owned);
          account(report);
          // Rows held back left the front of the queue: there may be more to fetch right away.
          busy = report.fetched > 0 || report.held > 0;
          if (report.brokerDown !== undefined) {
            // The relay backs off as a whole; the rows keep their attempts for real failures.
            fail(report.brokerDown, 'broker unreachable');
            await sleep(jitter(outageDelay));
            outageDelay = Math.min(Math.max(outageDelay * 2, 1), opts.backoff.maxMs);
            continue;
          }
          if (report.published > 0) outageDelay = opts.backoff.baseMs;
          // Our view of the leases is stale: refresh it before fetching again.
          if (report.fenced > 0) await leases.renew();
          if (owned.has(0) && Date.now() >= nextCleanup) {
            const more = await cleanup();
            nextCleanup = Date.now() + (more ? opts.pollIntervalMs : opts.cleanupIntervalMs);
          }
        }
        errorDelay = opts.pollIntervalMs;
        if (!busy) await sleep(Math.min(jitter(opts.pollIntervalMs), nextRebalance - Date.now()));
      } catch (error) {
        fail(error, 'relay loop');
        await sleep(jitter(errorDelay));
        errorDelay = Math.min(errorDelay * 2, leaseTick);
      }
    }
  };

  const begin = async () => {
    await leases.rebalance();
    if (stopping) {
      await leases.releaseAll().catch((error) => fail(error, 'lease release'));
      return;
    }
    state = 'running';
    unsubscribe = onOutboxCommit(wake);
    if (opts.listen !== undefined) {
      const listen =
        typeof opts.listen === 'string'
          ? pgListen(opts.listen, { onError: (error) => fail(error, 'listen') })
          : opts.listen;
      listener = await listen(OUTBOX_CHANNEL, wake).catch((error) => {
        fail(error, 'listen');
        return undefined;
      });
    }
    renewTimer = setInterval(() => {
      leases.renew().catch((error) => fail(error, 'lease renewal'));
    }, leaseTick);
    renewTimer.unref();
    loop = run();
  };

  return {
    id: opts.id,
    wake,
    start() {
      if (stopping) return Promise.reject(MessagingErrors.RELAY_STOPPED());
      starting ??= begin().catch((error) => {
        starting = undefined; // a failed start (database down) may be retried
        throw error;
      });
      return starting;
    },
    stop() {
      stopping ??= (async () => {
        await starting?.catch(() => {});
        const wasRunning = state === 'running';
        state = 'stopped';
        if (!wasRunning) return;
        interrupt?.();
        unsubscribe?.();
        // Lets the in-flight batch finish its publish and its mark.
        await loop;
        clearInterval(renewTimer);
        await listener?.close().catch((error) => fail(error, 'listen close'));
        await leases.releaseAll().catch((error) => fail(error, 'lease release'));
      })();
      return stopping;
    },
    stats: () => ({
      id: opts.id,
      running: state === 'running',
      partitions: [...leases.owned().keys()].sort((a, b) => a - b),
      publishedTotal: counters.published,
      failedTotal: counters.failed,
      parkedTotal: counters.parked,
      fencedTotal: counters.fenced,
      batchesTotal: counters.batches,
      errorsTotal: counters.errors,
      lastBatchAgeMs: gauges.lastBatchAgeMs,
      pending: gauges.pending,
      parked: gauges.parked,
      oldestPendingAgeMs: gauges.oldest,
    }),
  };
}
