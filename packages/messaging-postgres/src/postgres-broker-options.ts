import type { SqlClient } from '@outrig/db';
import { PostgresBusErrors } from './errors.ts';

/**
 * Options of {@link createPostgresBroker}. Give either `url` (the broker builds and owns its pool
 * and LISTEN connection) or `sql` (a client you own; add `listen` for low-latency wake-ups).
 */
export interface PostgresBrokerOptions {
  /** `postgres://…` of the shared bus database. */
  readonly url?: string;
  /** A SqlClient you built and own (`close()` leaves it open). */
  readonly sql?: SqlClient;
  /**
   * URL of the dedicated LISTEN connection. Defaults to `url`. With `sql` and no `listen`, or
   * `false`, consumers rely on polling alone.
   */
  readonly listen?: string | false;
  /** Schema holding the bus tables. Default `outrig_bus`. */
  readonly schema?: string;
  /** Partitions of a topic this broker creates; an existing topic keeps its count. Default 16. */
  readonly partitions?: number;
  /** Safety-net poll period of each subscription (jittered ±20%). Default 1000. */
  readonly pollIntervalMs?: number;
  /** A member's lease on a partition; renewed every third of it. Default 10000. */
  readonly leaseMs?: number;
  /** Messages fetched per partition per round trip. Default 100. */
  readonly batchSize?: number;
  /** Default `maxInFlight` of a subscription (its own option wins). Default 64. */
  readonly maxInFlight?: number;
  /** Redelivery delay when a handler rejects without calling ack/nack. Default 1000. */
  readonly retryDelayMs?: number;
  /** Consumed rows are deleted once older than this. Default 24 h. */
  readonly retentionMs?: number;
  /** Rows older than this are deleted even if a (dead) group never consumed them. Default 7 days. */
  readonly maxRetentionMs?: number;
  /** Period of the automatic cleanup; 0 turns it off (call `cleanup()` yourself). Default 60000. */
  readonly cleanupIntervalMs?: number;
  /** Size of the pool the broker builds from `url`. Default 10. */
  readonly poolSize?: number;
  /** `application_name` of the broker's connections. Default `outrig-bus`. */
  readonly applicationName?: string;
  /** Send a NOTIFY per publish transaction (a wake-up hint for other processes). Default true. */
  readonly notify?: boolean;
  /** Create the schema on first use (idempotent, under an advisory lock). Default true. */
  readonly autoMigrate?: boolean;
  /** Errors of background work (polls, lease renewals, LISTEN). Default: ignored. */
  readonly onError?: (error: Error) => void;
}

/** The options with every default filled in. */
export interface ResolvedPostgresBrokerOptions {
  readonly url: string | undefined;
  readonly sql: SqlClient | undefined;
  readonly listen: string | undefined;
  readonly schema: string;
  readonly partitions: number;
  readonly pollIntervalMs: number;
  readonly leaseMs: number;
  readonly batchSize: number;
  readonly maxInFlight: number;
  readonly retryDelayMs: number;
  readonly retentionMs: number;
  readonly maxRetentionMs: number;
  readonly cleanupIntervalMs: number;
  readonly poolSize: number;
  readonly applicationName: string;
  readonly notify: boolean;
  readonly autoMigrate: boolean;
  readonly onError: (error: Error) => void;
}

/** Every default in one place. */
export const POSTGRES_BROKER_DEFAULTS = {
  schema: 'outrig_bus',
  partitions: 16,
  pollIntervalMs: 1000,
  leaseMs: 10_000,
  batchSize: 100,
  maxInFlight: 64,
  retryDelayMs: 1000,
  retentionMs: 24 * 3600_000,
  maxRetentionMs: 7 * 24 * 3600_000,
  cleanupIntervalMs: 60_000,
  poolSize: 10,
  applicationName: 'outrig-bus',
} as const;

/** Validates options and fills defaults; throws PGBUS_OPTIONS_INVALID. */
export function resolvePostgresBrokerOptions(options: PostgresBrokerOptions): ResolvedPostgresBrokerOptions {
  const d = POSTGRES_BROKER_DEFAULTS;
  if ((options.url === undefined) === (options.sql === undefined)) {
    throw invalid('url/sql', 'give exactly one of `url` or `sql`');
  }
  if (options.url !== undefined && !/^postgres(ql)?:\/\//.test(options.url)) {
    throw invalid('url', 'expected a postgres:// URL');
  }
  if (typeof options.listen === 'string' && !/^postgres(ql)?:\/\//.test(options.listen)) {
    throw invalid('listen', 'expected a postgres:// URL or false');
  }
  const schema = options.schema ?? d.schema;
  if (!/^[a-z_][a-z0-9_]{0,47}$/.test(schema)) {
    throw invalid('schema', 'use lower-case letters, digits and _ (at most 48 characters)');
  }
  const resolved: ResolvedPostgresBrokerOptions = {
    url: options.url,
    sql: options.sql,
    listen: options.listen === false ? undefined : (options.listen ?? options.url),
    schema,
    partitions: int('partitions', options.partitions ?? d.partitions, 1, 4096),
    pollIntervalMs: int('pollIntervalMs', options.pollIntervalMs ?? d.pollIntervalMs, 10, 3600_000),
    leaseMs: int('leaseMs', options.leaseMs ?? d.leaseMs, 300, 3600_000),
    batchSize: int('batchSize', options.batchSize ?? d.batchSize, 1, 10_000),
    maxInFlight: int('maxInFlight', options.maxInFlight ?? d.maxInFlight, 1, 100_000),
    retryDelayMs: int('retryDelayMs', options.retryDelayMs ?? d.retryDelayMs, 0, 86_400_000),
    retentionMs: int('retentionMs', options.retentionMs ?? d.retentionMs, 0, 2 ** 40),
    maxRetentionMs: int('maxRetentionMs', options.maxRetentionMs ?? d.maxRetentionMs, 0, 2 ** 40),
    cleanupIntervalMs: int(
      'cleanupIntervalMs',
      options.cleanupIntervalMs ?? d.cleanupIntervalMs,
      0,
      2 ** 31 - 1,
    ),
    poolSize: int('poolSize', options.poolSize ?? d.poolSize, 2, 1000),
    applicationName: options.applicationName ?? d.applicationName,
    notify: options.notify ?? true,
    autoMigrate: options.autoMigrate ?? true,
    onError: options.onError ?? (() => {}),
  };
  if (resolved.maxRetentionMs < resolved.retentionMs) {
    throw invalid('maxRetentionMs', 'must be at least retentionMs');
  }
  return resolved;
}

function int(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(name, `expected an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function invalid(name: string, reason: string) {
  return PostgresBusErrors.PGBUS_OPTIONS_INVALID({ params: { name, reason } });
}
