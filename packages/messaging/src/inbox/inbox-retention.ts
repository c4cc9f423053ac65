import type { SqlQueryable } from '@outrig/db';
import { cleanupInbox } from './inbox.ts';

/** What {@link startInboxRetention} needs to run and report. */
export interface InboxRetentionOptions {
  /** Delete inbox rows handled longer ago than this. */
  readonly olderThanMs: number;
  /** Time between cleanups. The first runs after min(intervalMs, 60 s), jittered. */
  readonly intervalMs: number;
  /** Rows per DELETE; each batch is its own statement. Default 5000. */
  readonly batchSize?: number;
  readonly log: {
    info(obj: object, msg?: string): void;
    warn(obj: object, msg?: string): void;
  };
}

/** A running retention loop. */
export interface InboxRetention {
  /** Stops the loop; resolves once a cleanup in progress has finished. */
  stop(): Promise<void>;
}

/** At most this many batches per run, so one run never monopolises a connection for long. */
const MAX_BATCHES_PER_RUN = 100;

/**
 * Deletes old inbox rows periodically (see `cleanupInbox`): the inbox otherwise grows by one row
 * per event per group forever. Several instances of a service may run it at once: each batch
 * deletes different rows or none. Failures are logged and retried at the next interval.
 *
 * @example
 * const retention = startInboxRetention(sql, { olderThanMs: 7 * 86_400_000, intervalMs: 3_600_000, log });
 * // at shutdown
 * await retention.stop();
 */
export function startInboxRetention(sql: SqlQueryable, options: InboxRetentionOptions): InboxRetention {
  let stopped = false;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce().finally(() => {
        running = undefined;
        schedule(options.intervalMs);
      });
    }, delayMs);
    timer.unref();
  };
  const runOnce = async () => {
    try {
      const deleted = await cleanupInbox(sql, {
        olderThanMs: options.olderThanMs,
        batchSize: options.batchSize ?? 5000,
        maxBatches: MAX_BATCHES_PER_RUN,
      });
      if (deleted > 0) options.log.info({ deleted, olderThanMs: options.olderThanMs }, 'inbox cleanup');
    } catch (err) {
      if (!stopped) options.log.warn({ err }, 'inbox cleanup failed (retrying at the next interval)');
    }
  };
  // Jittered, so that the instances of a service started together do not clean at the same moment.
  schedule(Math.min(options.intervalMs, 60_000) * (0.5 + Math.random() * 0.5));
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
