/**
 * What the suite passes to its worker processes (one JSON argument), and the lines they print
 * back on stdout. Shared by `run.ts` and `workers/*.ts`.
 */

/** A transport by URL, with the adapter's options (`resolveBroker(url, { nats|postgres|kafka: options })`). */
export interface BrokerConfig {
  readonly url: string;
  readonly options: Record<string, unknown>;
}

export interface RelayWorkerConfig {
  /** Relay id, also the `application_name` of its pool: the audit trigger records who wrote. */
  readonly id: string;
  readonly producerUrl: string;
  readonly broker: BrokerConfig;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  readonly maxAttempts: number;
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  /** Hold every publish this long after announcing it (`publish-start`): the zombie's window. */
  readonly publishDelayMs?: number;
  readonly statsIntervalMs: number;
}

export interface ConsumerWorkerConfig {
  readonly consumerUrl: string;
  readonly broker: BrokerConfig;
  readonly group: string;
  readonly topic: string;
  readonly maxAttempts: number;
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  readonly heartbeatMs: number;
  readonly maxInFlight: number;
  readonly poolSize: number;
  /** Aggregates whose handler always throws (poison). */
  readonly failAggregates: readonly string[];
  /** Aggregates whose handler kills the process (`process.exit(1)`): a crash loop. */
  readonly crashAggregates?: readonly string[];
  /** Validate events against the suite's event registry (schema of `data`, known type). */
  readonly validate: boolean;
}

/** Lines a worker prints on stdout, prefixed with {@link LINE_PREFIX}. */
export type WorkerMessage =
  | { readonly t: 'ready'; readonly pid: number }
  | { readonly t: 'stats'; readonly stats: RelayStatsLine }
  | { readonly t: 'publish-start'; readonly count: number; readonly partitions: readonly number[] }
  | { readonly t: 'dead-letter'; readonly reason: string; readonly type: string }
  | { readonly t: 'error'; readonly message: string };

/** The part of `OutboxRelayStats` the suite reads. */
export interface RelayStatsLine {
  readonly id: string;
  readonly partitions: readonly number[];
  readonly publishedTotal: number;
  readonly fencedTotal: number;
  readonly parkedTotal: number;
  readonly batchesTotal: number;
  readonly errorsTotal: number;
}

export const LINE_PREFIX = '@rel ';

/** Writes one protocol line (workers only). */
export function send(message: WorkerMessage): void {
  process.stdout.write(`${LINE_PREFIX}${JSON.stringify(message)}\n`);
}

/** Parses the JSON config in `process.argv[2]` (workers only). */
export function readConfig<T>(): T {
  const raw = process.argv[2];
  if (!raw) throw new Error('worker: missing JSON config argument');
  return JSON.parse(raw) as T;
}
