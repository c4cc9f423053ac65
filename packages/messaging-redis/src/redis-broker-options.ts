import { optionChecks } from '@outrig/messaging/adapter-kit';
import type { Redis, RedisOptions } from 'ioredis';
import { RedisBusErrors } from './errors.ts';

/** Options of {@link createRedisBroker}. Give `url` (we connect and own it) or `client` (yours). */
export interface RedisBrokerOptions {
  /** `redis://[user:pass@]host:6379[/db]` (or `rediss://…`), as in `BUS_URL`. */
  readonly url?: string;
  /**
   * A client you built (Sentinel, TLS, …). The broker never closes it; it duplicates it for the
   * blocking reads of the partitions it owns.
   */
  readonly client?: Redis;
  /** Extra ioredis options for the client built from `url`. */
  readonly redisOptions?: RedisOptions;
  /** Prefix of every key: topic `product.events` → streams `<prefix>:product.events:<p>`. Default `outrig`. */
  readonly prefix?: string;
  /** Partitions (streams) per topic; the same for every publisher and consumer of a topic. Default 16. */
  readonly partitions?: number;
  /**
   * Entries older than this are trimmed from the streams (`XADD … MINID ~`), pending or not: it
   * must exceed the longest time a group may be down or behind, and the inbox must keep ids at
   * least as long. 0 keeps everything. Default 7 days (the inbox's default retention).
   */
  readonly retentionMs?: number;
  /** How often a member renews its membership and partition leases. Default 1000. */
  readonly heartbeatMs?: number;
  /**
   * A member (or a partition lease) not renewed for this long is gone: its partitions move and
   * its pending entries are claimed (`XAUTOCLAIM`). Default 5000.
   */
  readonly sessionTimeoutMs?: number;
  /** How long a partition's blocking read waits before it re-checks. Default 2000. */
  readonly blockMs?: number;
  /** Timeout of commands (not blocking reads). Default 5000. */
  readonly requestTimeoutMs?: number;
  /** Errors that happen in the background. Default: `process.emitWarning`. */
  readonly onError?: (error: Error) => void;
}

/** Options after defaults, as the broker uses them. */
export interface ResolvedRedisBrokerOptions {
  readonly url: string | undefined;
  readonly client: Redis | undefined;
  readonly redisOptions: RedisOptions;
  readonly prefix: string;
  readonly partitions: number;
  readonly retentionMs: number;
  readonly heartbeatMs: number;
  readonly sessionTimeoutMs: number;
  readonly blockMs: number;
  readonly requestTimeoutMs: number;
  readonly onError: (error: Error) => void;
}

/** The defaults, in one place. */
export const REDIS_BROKER_DEFAULTS = {
  prefix: 'outrig',
  partitions: 16,
  retentionMs: 7 * 24 * 3600_000,
  heartbeatMs: 1000,
  sessionTimeoutMs: 5000,
  blockMs: 2000,
  requestTimeoutMs: 5000,
} as const;

/** Applies defaults and validates; throws `REDIS_BUS_OPTIONS_INVALID` naming the first bad option. */
export function resolveRedisBrokerOptions(options: RedisBrokerOptions): ResolvedRedisBrokerOptions {
  const d = REDIS_BROKER_DEFAULTS;
  if ((options.url === undefined) === (options.client === undefined)) {
    throw invalid('url', 'give exactly one of `url` or `client`');
  }
  if (options.url !== undefined) checkUrl(options.url);
  const resolved: ResolvedRedisBrokerOptions = {
    url: options.url,
    client: options.client,
    redisOptions: options.redisOptions ?? {},
    prefix: options.prefix ?? d.prefix,
    partitions: options.partitions ?? d.partitions,
    retentionMs: options.retentionMs ?? d.retentionMs,
    heartbeatMs: options.heartbeatMs ?? d.heartbeatMs,
    sessionTimeoutMs: options.sessionTimeoutMs ?? d.sessionTimeoutMs,
    blockMs: options.blockMs ?? d.blockMs,
    requestTimeoutMs: options.requestTimeoutMs ?? d.requestTimeoutMs,
    onError: options.onError ?? ((error) => process.emitWarning(error)),
  };
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(resolved.prefix))
    throw invalid('prefix', 'use 1–32 letters, digits, _ or -');
  checkInt('partitions', resolved.partitions, 1, 1024);
  checkInt('retentionMs', resolved.retentionMs, 0, Number.MAX_SAFE_INTEGER);
  if (resolved.retentionMs > 0 && resolved.retentionMs < 60_000) {
    throw invalid('retentionMs', 'use 0 (keep everything) or at least 60000');
  }
  checkInt('heartbeatMs', resolved.heartbeatMs, 50, 600_000);
  checkInt('sessionTimeoutMs', resolved.sessionTimeoutMs, 2 * resolved.heartbeatMs, 3_600_000);
  checkInt('blockMs', resolved.blockMs, 10, 60_000);
  checkInt('requestTimeoutMs', resolved.requestTimeoutMs, 100, 600_000);
  return resolved;
}

function checkUrl(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('url', 'not a URL (redis://host:6379)');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw invalid('url', 'must start with redis:// or rediss://');
}

function invalid(option: string, reason: string) {
  return RedisBusErrors.REDIS_BUS_OPTIONS_INVALID({ params: { option, reason } });
}

const { int: checkInt } = optionChecks(invalid);
