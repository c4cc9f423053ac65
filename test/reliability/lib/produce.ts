/**
 * Producers in the test process: `concurrency` writers, each event in its own unit of work on a
 * random aggregate; versions are assigned by the outbox.
 */
import type { SqlClient } from '@outrig/db';
import type { Outbox } from '@outrig/messaging';
import { Changed } from './events.ts';
import { sleep } from './wait.ts';

export interface ProduceOptions {
  readonly events: number;
  /** Aggregate ids to spread the events over. */
  readonly aggregates: readonly string[];
  readonly concurrency: number;
  /** Spread the events over time (events per second); default: as fast as possible. */
  readonly ratePerSec?: number;
  /** Called after each commit with the number committed so far. */
  readonly onCommit?: (committed: number) => void;
}

export interface ProduceResult {
  readonly committed: number;
  /** Units of work that failed (rolled back): they wrote nothing. */
  readonly failed: number;
}

export async function produce(
  sql: SqlClient,
  outbox: Outbox,
  options: ProduceOptions,
): Promise<ProduceResult> {
  const { events, aggregates, concurrency, ratePerSec } = options;
  const started = Date.now();
  let next = 0;
  let committed = 0;
  let failed = 0;
  const writer = async () => {
    for (let i = next++; i < events; i = next++) {
      if (ratePerSec) await sleep(started + (i * 1000) / ratePerSec - Date.now());
      const subject = aggregates[Math.floor(Math.random() * aggregates.length)]!;
      try {
        await outbox.unitOfWork(sql, async (uow) => {
          uow.publish(Changed, { subject, data: { n: i } });
        });
        committed++;
        options.onCommit?.(committed);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, writer));
  return { committed, failed };
}

/** `count` aggregate ids `<prefix>-0` … */
export function aggregateIds(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
}
