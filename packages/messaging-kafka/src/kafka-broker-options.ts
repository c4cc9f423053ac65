import { optionChecks } from '@outrig/messaging/adapter-kit';
import { KafkaErrors } from './errors.ts';

/** Options of {@link createKafkaBroker}. */
export interface KafkaBrokerOptions {
  /**
   * Bootstrap brokers: `kafka://host:port[,host:port]` (as in `BUS_URL`), a comma-separated
   * `host:port` list, or an array of either. Port defaults to 9092.
   */
  readonly brokers: string | readonly string[];
  /** Client id sent to Kafka (quotas, logs). Default `outrig`. */
  readonly clientId?: string;
  /**
   * Prefix of Kafka topic names: topic `product.events` → Kafka topic `<prefix>product.events`.
   * Default `''` (the event topic is the Kafka topic). Use it when several systems share a cluster.
   */
  readonly topicPrefix?: string;
  /** Idempotent producer (no duplicates or reordering from the client's own retries). Default true. */
  readonly idempotent?: boolean;
  /**
   * Create a missing topic on first use through the metadata request (the broker's
   * `auto.create.topics.enable` and `num.partitions` decide; the mock creates 4 partitions).
   * Default true. With false, topics must exist.
   */
  readonly autocreateTopics?: boolean;
  /** Group session timeout: how long after a member dies its partitions move. Default 10000 (≥ 3000). */
  readonly sessionTimeoutMs?: number;
  /** Group heartbeat interval; below `sessionTimeoutMs / 2`. Default 1000. */
  readonly heartbeatIntervalMs?: number;
  /** How long members may take to rejoin during a rebalance. Default 30000. */
  readonly rebalanceTimeoutMs?: number;
  /** Longest a fetch waits for new messages (long poll). Default 500. */
  readonly fetchMaxWaitMs?: number;
  /** Timeout of one request to Kafka (produce, commit, metadata, ping). Default 5000. */
  readonly requestTimeoutMs?: number;
  /** Messages a subscription buffers before it pauses fetching. Default 1000. */
  readonly maxBuffered?: number;
  /**
   * Errors that happen in the background (a malformed message skipped, a commit that failed, a
   * handler that threw). Default: `process.emitWarning`.
   */
  readonly onError?: (error: Error) => void;
}

/** Options after defaults, as the broker uses them. */
export interface ResolvedKafkaBrokerOptions {
  /** `host:port` each. */
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly topicPrefix: string;
  readonly idempotent: boolean;
  readonly autocreateTopics: boolean;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly fetchMaxWaitMs: number;
  readonly requestTimeoutMs: number;
  readonly maxBuffered: number;
  readonly onError: (error: Error) => void;
}

/** The defaults, in one place. */
export const KAFKA_BROKER_DEFAULTS = {
  clientId: 'outrig',
  topicPrefix: '',
  idempotent: true,
  autocreateTopics: true,
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 30_000,
  fetchMaxWaitMs: 500,
  requestTimeoutMs: 5_000,
  maxBuffered: 1_000,
} as const;

/** Applies defaults and validates; throws `KAFKA_OPTIONS_INVALID` naming the first bad option. */
export function resolveKafkaBrokerOptions(options: KafkaBrokerOptions): ResolvedKafkaBrokerOptions {
  const d = KAFKA_BROKER_DEFAULTS;
  if (options === null || typeof options !== 'object') throw invalid('brokers', 'no options given');
  const resolved: ResolvedKafkaBrokerOptions = {
    brokers: parseBrokers(options.brokers),
    clientId: options.clientId ?? d.clientId,
    topicPrefix: options.topicPrefix ?? d.topicPrefix,
    idempotent: options.idempotent ?? d.idempotent,
    autocreateTopics: options.autocreateTopics ?? d.autocreateTopics,
    sessionTimeoutMs: options.sessionTimeoutMs ?? d.sessionTimeoutMs,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? d.heartbeatIntervalMs,
    rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? d.rebalanceTimeoutMs,
    fetchMaxWaitMs: options.fetchMaxWaitMs ?? d.fetchMaxWaitMs,
    requestTimeoutMs: options.requestTimeoutMs ?? d.requestTimeoutMs,
    maxBuffered: options.maxBuffered ?? d.maxBuffered,
    onError: options.onError ?? ((error) => process.emitWarning(error)),
  };
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(resolved.clientId)) {
    throw invalid('clientId', 'use 1–64 letters, digits, ., _ or -');
  }
  if (!/^[A-Za-z0-9._-]{0,48}$/.test(resolved.topicPrefix)) {
    throw invalid('topicPrefix', 'use up to 48 letters, digits, ., _ or -');
  }
  checkBoolean('idempotent', resolved.idempotent);
  checkBoolean('autocreateTopics', resolved.autocreateTopics);
  checkInt('sessionTimeoutMs', resolved.sessionTimeoutMs, 3_000, 3_600_000);
  checkInt('heartbeatIntervalMs', resolved.heartbeatIntervalMs, 100, 3_600_000);
  if (resolved.heartbeatIntervalMs * 2 > resolved.sessionTimeoutMs) {
    throw invalid('heartbeatIntervalMs', 'must be at most half of sessionTimeoutMs');
  }
  checkInt('rebalanceTimeoutMs', resolved.rebalanceTimeoutMs, 1_000, 3_600_000);
  checkInt('fetchMaxWaitMs', resolved.fetchMaxWaitMs, 10, 60_000);
  checkInt('requestTimeoutMs', resolved.requestTimeoutMs, 100, 600_000);
  checkInt('maxBuffered', resolved.maxBuffered, 1, 1_000_000);
  if (typeof resolved.onError !== 'function') throw invalid('onError', 'must be a function');
  return resolved;
}

/** `kafka://a:9092,b:9093` / `a:9092` / arrays of them → `['a:9092', 'b:9093']`. */
function parseBrokers(brokers: unknown): string[] {
  if (brokers === undefined) throw invalid('brokers', 'give kafka://host:port[,host:port]');
  const list = [brokers]
    .flat()
    .map((b) => {
      if (typeof b !== 'string') throw invalid('brokers', 'must be strings');
      return b;
    })
    .flatMap((b) => b.split(','))
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (list.length === 0) throw invalid('brokers', 'no broker given');
  return list.map((entry) => {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(entry)?.[1]?.toLowerCase();
    if (scheme !== undefined && scheme !== 'kafka') {
      throw invalid('brokers', `${entry} must be kafka://host:port or host:port`);
    }
    let url: URL;
    try {
      url = new URL(scheme ? entry : `kafka://${entry}`);
    } catch {
      throw invalid('brokers', `${entry} is not host:port`);
    }
    if (!url.hostname || (url.pathname !== '' && url.pathname !== '/') || url.username) {
      throw invalid('brokers', `${entry} is not host:port (no path, no credentials)`);
    }
    return `${url.hostname}:${url.port || '9092'}`;
  });
}

function invalid(option: string, reason: string) {
  return KafkaErrors.KAFKA_OPTIONS_INVALID({ params: { option, reason } });
}

const { int: checkInt, boolean: checkBoolean } = optionChecks(invalid);
