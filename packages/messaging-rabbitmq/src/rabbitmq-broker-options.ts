import { optionChecks } from '@outrig/messaging/adapter-kit';
import { RabbitMqErrors } from './errors.ts';

/** Options of {@link createRabbitMqBroker}. */
export interface RabbitMqBrokerOptions {
  /** `amqp://user:pass@host:5672/vhost` (or `amqps://…`), as in `BUS_URL`. */
  readonly url: string;
  /** Prefix of exchange and queue names: topic `product.events` → exchange `<prefix>.product.events`. Default `outrig`. */
  readonly prefix?: string;
  /** Partitions (queues per group and topic); must be the same for every publisher and consumer of a topic. Default 16. */
  readonly partitions?: number;
  /**
   * Deliveries RabbitMQ counts for a message (crashed or disconnected consumers; handler
   * failures are retried in process and not counted) before it dead-letters the message to
   * the group's `<prefix>.<topic>.<group>.dead` queue. 0 = unlimited. Default 50.
   */
  readonly deliveryLimit?: number;
  /** How often a member announces itself to the other members of its group. Default 1000. */
  readonly heartbeatMs?: number;
  /** A member not heard from for this long is gone: its partitions move. Default 3 × heartbeatMs. */
  readonly sessionTimeoutMs?: number;
  /** Timeout of declarations, publisher confirms and `ping()`. Default 5000. */
  readonly requestTimeoutMs?: number;
  /** Timeout of opening the connection (TCP and the AMQP handshake), also on reconnects. Default 10000. */
  readonly connectTimeoutMs?: number;
  /** First reconnect delay; doubles up to `maxReconnectDelayMs`. Default 100. */
  readonly reconnectDelayMs?: number;
  /** Longest pause between reconnect attempts. Default 2000. */
  readonly maxReconnectDelayMs?: number;
  /**
   * Errors that happen in the background (a reconnect failed, a malformed message dropped, a
   * handler that threw). Default: `process.emitWarning`.
   */
  readonly onError?: (error: Error) => void;
}

/** Options after defaults, as the broker uses them. */
export interface ResolvedRabbitMqBrokerOptions {
  readonly url: string;
  readonly prefix: string;
  readonly partitions: number;
  readonly deliveryLimit: number;
  readonly heartbeatMs: number;
  readonly sessionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly reconnectDelayMs: number;
  readonly maxReconnectDelayMs: number;
  readonly onError: (error: Error) => void;
}

/** The defaults, in one place. */
export const RABBITMQ_BROKER_DEFAULTS = {
  prefix: 'outrig',
  partitions: 16,
  deliveryLimit: 50,
  heartbeatMs: 1000,
  requestTimeoutMs: 5000,
  connectTimeoutMs: 10_000,
  reconnectDelayMs: 100,
  maxReconnectDelayMs: 2000,
} as const;

/** Applies defaults and validates; throws `RABBITMQ_OPTIONS_INVALID` naming the first bad option. */
export function resolveRabbitMqBrokerOptions(options: RabbitMqBrokerOptions): ResolvedRabbitMqBrokerOptions {
  const d = RABBITMQ_BROKER_DEFAULTS;
  if (typeof options?.url !== 'string') throw invalid('url', 'give the amqp:// URL');
  checkUrl(options.url);
  const heartbeatMs = options.heartbeatMs ?? d.heartbeatMs;
  const resolved: ResolvedRabbitMqBrokerOptions = {
    url: options.url,
    prefix: options.prefix ?? d.prefix,
    partitions: options.partitions ?? d.partitions,
    deliveryLimit: options.deliveryLimit ?? d.deliveryLimit,
    heartbeatMs,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 3 * heartbeatMs,
    requestTimeoutMs: options.requestTimeoutMs ?? d.requestTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs ?? d.connectTimeoutMs,
    reconnectDelayMs: options.reconnectDelayMs ?? d.reconnectDelayMs,
    maxReconnectDelayMs: options.maxReconnectDelayMs ?? d.maxReconnectDelayMs,
    onError: options.onError ?? ((error) => process.emitWarning(error)),
  };
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(resolved.prefix))
    throw invalid('prefix', 'use 1–32 letters, digits, _ or -');
  checkInt('partitions', resolved.partitions, 1, 256);
  checkInt('deliveryLimit', resolved.deliveryLimit, 0, 1_000_000);
  checkInt('heartbeatMs', resolved.heartbeatMs, 50, 600_000);
  checkInt('sessionTimeoutMs', resolved.sessionTimeoutMs, 2 * resolved.heartbeatMs, 3_600_000);
  checkInt('requestTimeoutMs', resolved.requestTimeoutMs, 100, 600_000);
  checkInt('connectTimeoutMs', resolved.connectTimeoutMs, 100, 600_000);
  checkInt('reconnectDelayMs', resolved.reconnectDelayMs, 10, 60_000);
  checkInt('maxReconnectDelayMs', resolved.maxReconnectDelayMs, resolved.reconnectDelayMs, 600_000);
  return resolved;
}

function checkUrl(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('url', 'not a URL (amqp://user:pass@host:5672/vhost)');
  }
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:')
    throw invalid('url', 'must start with amqp:// or amqps://');
}

function invalid(option: string, reason: string) {
  return RabbitMqErrors.RABBITMQ_OPTIONS_INVALID({ params: { option, reason } });
}

const { int: checkInt } = optionChecks(invalid);
