import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { SqlQueryable } from '@outrig/db';
import type { Broker } from '../broker.ts';
import { MessagingErrors } from '../errors.ts';
import type { OutboxListen } from './pg-listen.ts';

/** Options of `createOutboxRelay`. Defaults are in {@link RELAY_DEFAULTS}. */
export interface OutboxRelayOptions {
  /** The service's database (a pool): the relay runs short single statements, no transactions. */
  readonly sql: SqlQueryable;
  /**
   * Where events go. `publish` is used, and `ping` (when present) to tell a broker outage from
   * failing messages: an outage does not use up attempts. `name` (when present) labels the
   * `relay.publish` spans. The relay does not close it.
   */
  readonly broker: Pick<Broker, 'publish'> & Partial<Pick<Broker, 'ping' | 'name'>>;
  /** Unique per relay instance. Default `<hostname>:<pid>:<random>`. */
  readonly id?: string;
  /** Rows fetched and published per batch (one `broker.publish` call). Default 500. */
  readonly batchSize?: number;
  /** Publish attempts before a row is parked (`OUTBOX_MAX_RETRY`). Default 10. */
  readonly maxAttempts?: number;
  /** Safety-net poll when no wake-up arrives, jittered ±25%. Default 500 ms. */
  readonly pollIntervalMs?: number;
  /** Partition lease length on the database clock; renewed every third. Default 10 000 ms. */
  readonly leaseMs?: number;
  /** Retry delay after a failed publish: min(maxMs, baseMs·2^(attempt−1)), jittered 50–100%. */
  readonly backoff?: { readonly baseMs?: number; readonly maxMs?: number };
  /** A batch whose publish has not settled by then counts as failed. Default 30 000 ms. */
  readonly publishTimeoutMs?: number;
  /** Delivered and skipped rows are kept this long (replay, audit), then deleted. Default 7 days. */
  readonly retentionMs?: number;
  /** How often the cleanup runs (by the relay holding partition 0). Default 60 000 ms. */
  readonly cleanupIntervalMs?: number;
  /**
   * LISTEN for the outbox NOTIFY on a dedicated connection: a `postgres://` URL (the relay keeps
   * one `pg` connection and reconnects), or your own function. A hint only; the poll stays on.
   */
  readonly listen?: string | OutboxListen;
  /** Errors the relay survives (database or broker down). Default: `console.error`. */
  readonly onError?: (error: unknown, during: string) => void;
}

/** Defaults of {@link OutboxRelayOptions}, in one place. */
export const RELAY_DEFAULTS = {
  batchSize: 500,
  maxAttempts: 10,
  pollIntervalMs: 500,
  leaseMs: 10_000,
  backoff: { baseMs: 1_000, maxMs: 60_000 },
  publishTimeoutMs: 30_000,
  retentionMs: 7 * 24 * 60 * 60 * 1_000,
  cleanupIntervalMs: 60_000,
} as const;

/** Options with defaults applied and checked. */
export interface ResolvedRelayOptions {
  readonly sql: SqlQueryable;
  readonly broker: Pick<Broker, 'publish'> & Partial<Pick<Broker, 'ping' | 'name'>>;
  readonly id: string;
  readonly batchSize: number;
  readonly maxAttempts: number;
  readonly pollIntervalMs: number;
  readonly leaseMs: number;
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  readonly publishTimeoutMs: number;
  readonly retentionMs: number;
  readonly cleanupIntervalMs: number;
  readonly listen: string | OutboxListen | undefined;
  readonly onError: (error: unknown, during: string) => void;
}

/** Applies defaults and validates; throws `RELAY_OPTIONS_INVALID` naming the bad option. */
export function resolveRelayOptions(options: OutboxRelayOptions): ResolvedRelayOptions {
  const invalid = (reason: string) => MessagingErrors.RELAY_OPTIONS_INVALID({ params: { reason } });
  if (!options || typeof options.sql?.query !== 'function') throw invalid('sql must be a SqlClient');
  if (typeof options.broker?.publish !== 'function') throw invalid('broker must be a Broker');
  const int = (name: string, value: number | undefined, fallback: number, min: number) => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < min) throw invalid(`${name} must be an integer ≥ ${min} (got ${value})`);
    return v;
  };
  const baseMs = int('backoff.baseMs', options.backoff?.baseMs, RELAY_DEFAULTS.backoff.baseMs, 0);
  const maxMs = int('backoff.maxMs', options.backoff?.maxMs, RELAY_DEFAULTS.backoff.maxMs, 0);
  if (maxMs < baseMs) throw invalid('backoff.maxMs must be ≥ backoff.baseMs');
  const listen = options.listen;
  if (listen !== undefined && typeof listen !== 'function' && !/^postgres(ql)?:\/\//.test(String(listen))) {
    throw invalid('listen must be a postgres:// URL or a function');
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw invalid('onError must be a function');
  }
  const id = options.id ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  if (typeof id !== 'string' || id.length === 0) throw invalid('id must be a non-empty string');
  return {
    sql: options.sql,
    broker: options.broker,
    id,
    batchSize: int('batchSize', options.batchSize, RELAY_DEFAULTS.batchSize, 1),
    maxAttempts: int('maxAttempts', options.maxAttempts, RELAY_DEFAULTS.maxAttempts, 1),
    pollIntervalMs: int('pollIntervalMs', options.pollIntervalMs, RELAY_DEFAULTS.pollIntervalMs, 1),
    leaseMs: int('leaseMs', options.leaseMs, RELAY_DEFAULTS.leaseMs, 100),
    backoff: { baseMs, maxMs },
    publishTimeoutMs: int('publishTimeoutMs', options.publishTimeoutMs, RELAY_DEFAULTS.publishTimeoutMs, 1),
    retentionMs: int('retentionMs', options.retentionMs, RELAY_DEFAULTS.retentionMs, 0),
    cleanupIntervalMs: int(
      'cleanupIntervalMs',
      options.cleanupIntervalMs,
      RELAY_DEFAULTS.cleanupIntervalMs,
      1,
    ),
    listen,
    onError: options.onError ?? ((error, during) => console.error(`[outrig relay] ${during}:`, error)),
  };
}
