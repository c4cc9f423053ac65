import type { SqlClient } from '@outrig/db';
import type { Broker } from '../broker.ts';
import type { CloudEvent } from '../cloud-event.ts';
import { MessagingErrors } from '../errors.ts';
import type { ConsumeTraceHook } from './consume-trace.ts';
import type { ConsumeRecord } from './consumer-stats.ts';

/** Jittered exponential backoff between in-process retries: `baseMs · 2^(attempt-1)`, capped. */
export interface BackoffOptions {
  /** Delay after the first failure (before jitter). Default 200. */
  readonly baseMs?: number;
  /** Upper bound of any delay. Default 30000. */
  readonly maxMs?: number;
}

/** Where a failure happened, for {@link ConsumerOptions.onError}. */
export interface ConsumeErrorInfo {
  readonly stage: 'validate' | 'handler' | 'ack' | 'dead_letter';
  readonly group: string;
  readonly topic: string;
  readonly key: string;
  readonly eventId: string;
  readonly type: string;
  readonly attempt: number;
}

/** A pino-compatible logger subset. */
export interface ConsumerLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** Settings that may differ per subscription (each falls back to the consumer's). */
export interface ConsumerPolicy {
  /** Consumer group: the inbox's `consumer_group` and the broker group. Required somewhere. */
  readonly group?: string;
  /** Handling attempts before the event goes to the dead-letter topic. Default 5. */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffOptions;
  /** A handler attempt running longer is abandoned and rolled back (then retried). Default 30000. */
  readonly handlerTimeoutMs?: number;
  /**
   * While a delivery is held (handler running, retry waits), `delivery.inProgress()` is called
   * this often so the broker's ack-wait does not expire. Keep it below the transport's ack-wait.
   * Default 5000.
   */
  readonly heartbeatMs?: number;
  /** Dead-letter topic for a topic. Default `${topic}.dlq`. */
  readonly deadLetterTopic?: (topic: string) => string;
  /** Deliveries in flight at once for this member (different keys). Default: the broker's (64). */
  readonly maxInFlight?: number;
  /** Where a new group starts. Default `earliest`. */
  readonly startFrom?: 'earliest' | 'latest';
  /**
   * Checks an event before its handler runs — a function, or an object with `validate(event)`
   * such as an `EventRegistry`. Throwing marks the event invalid: dead-lettered at once, never
   * retried. The CloudEvents envelope itself (specversion, UUID id, type, source) is always
   * checked. Note that a registry rejects types it does not know.
   */
  readonly validate?: EventValidator;
}

/** A validation hook: throws (or rejects) for an invalid event; its return value is ignored. */
export type EventValidator = ((event: CloudEvent) => unknown) | { validate(event: CloudEvent): unknown };

export interface ConsumerOptions extends ConsumerPolicy {
  /** The service's database: the inbox lives there and handlers get a transaction on it. */
  readonly sql: SqlClient;
  readonly broker: Broker;
  /** Called for every failure (handler attempt, ack, dead-letter publish, validation). */
  readonly onError?: (error: unknown, info: ConsumeErrorInfo) => void;
  /** Receives warnings (retries) and errors (dead letters). Default: none. */
  readonly logger?: ConsumerLogger;
  /** Called once per outcome: the hook for metrics histograms (no metrics library needed). */
  readonly onOutcome?: (record: ConsumeRecord) => void;
  /**
   * Tracing hook: where the consume span starts (see {@link ConsumeTraceHook}). Default
   * `openTelemetryConsumeTrace` (a no-op without an OpenTelemetry SDK); `noopConsumeTrace` turns it off.
   */
  readonly trace?: ConsumeTraceHook;
}

/** A policy with every default applied and checked. */
export interface ResolvedPolicy {
  readonly group: string;
  readonly maxAttempts: number;
  readonly backoff: Required<BackoffOptions>;
  readonly handlerTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly deadLetterTopic: (topic: string) => string;
  readonly maxInFlight: number | undefined;
  readonly startFrom: 'earliest' | 'latest';
  readonly validate: ((event: CloudEvent) => unknown) | undefined;
}

/** The defaults, in one place. */
export const CONSUMER_DEFAULTS = {
  maxAttempts: 5,
  backoff: { baseMs: 200, maxMs: 30_000 },
  handlerTimeoutMs: 30_000,
  heartbeatMs: 5_000,
  deadLetterTopic: (topic: string) => `${topic}.dlq`,
  startFrom: 'earliest',
} as const;

/** Checks the consumer-wide options (group may come later, per subscription). */
export function checkConsumerOptions(options: ConsumerOptions): void {
  if (typeof options?.sql?.transaction !== 'function') invalid('sql must be a SqlClient');
  if (typeof options.broker?.subscribe !== 'function') invalid('broker must be a Broker');
  for (const name of ['onError', 'onOutcome'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function')
      invalid(`${name} must be a function`);
  }
  if (options.trace !== undefined && typeof options.trace?.start !== 'function') {
    invalid('trace must have a start() function');
  }
  resolvePolicy(options, {}, false);
}

/** Merges a subscription's overrides over the consumer's policy, applies defaults, validates. */
export function resolvePolicy(
  base: ConsumerPolicy,
  override: ConsumerPolicy,
  needGroup = true,
): ResolvedPolicy {
  const p = { ...base, ...override };
  const backoff = { ...CONSUMER_DEFAULTS.backoff, ...base.backoff, ...override.backoff };
  const policy: ResolvedPolicy = {
    group: p.group ?? '',
    maxAttempts: p.maxAttempts ?? CONSUMER_DEFAULTS.maxAttempts,
    backoff,
    handlerTimeoutMs: p.handlerTimeoutMs ?? CONSUMER_DEFAULTS.handlerTimeoutMs,
    heartbeatMs: p.heartbeatMs ?? CONSUMER_DEFAULTS.heartbeatMs,
    deadLetterTopic: p.deadLetterTopic ?? CONSUMER_DEFAULTS.deadLetterTopic,
    maxInFlight: p.maxInFlight,
    startFrom: p.startFrom ?? CONSUMER_DEFAULTS.startFrom,
    validate: toValidateFn(p.validate),
  };
  if (p.group !== undefined && (typeof p.group !== 'string' || p.group === '')) {
    invalid('group must be a non-empty string');
  }
  if (needGroup && policy.group === '') invalid('group is required (in createConsumer or subscribe)');
  if (!isInt(policy.maxAttempts, 1)) invalid('maxAttempts must be an integer ≥ 1');
  if (!isNum(backoff.baseMs) || !isNum(backoff.maxMs) || backoff.baseMs > backoff.maxMs) {
    invalid('backoff.baseMs and backoff.maxMs must be numbers ≥ 0 with baseMs ≤ maxMs');
  }
  if (!isNum(policy.handlerTimeoutMs) || policy.handlerTimeoutMs <= 0) {
    invalid('handlerTimeoutMs must be a number > 0');
  }
  if (!isNum(policy.heartbeatMs) || policy.heartbeatMs < 10) invalid('heartbeatMs must be a number ≥ 10');
  if (typeof policy.deadLetterTopic !== 'function') invalid('deadLetterTopic must be a function');
  if (policy.maxInFlight !== undefined && !isInt(policy.maxInFlight, 1)) {
    invalid('maxInFlight must be an integer ≥ 1');
  }
  if (policy.startFrom !== 'earliest' && policy.startFrom !== 'latest') {
    invalid("startFrom must be 'earliest' or 'latest'");
  }
  return policy;
}

function toValidateFn(v: EventValidator | undefined): ((event: CloudEvent) => unknown) | undefined {
  if (v === undefined || typeof v === 'function') return v;
  if (typeof v?.validate === 'function') return (event) => v.validate(event);
  return invalid('validate must be a function or an object with validate(event)');
}

function isInt(v: unknown, min: number): boolean {
  return Number.isInteger(v) && (v as number) >= min;
}

function isNum(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function invalid(reason: string): never {
  throw MessagingErrors.CONSUMER_OPTIONS_INVALID({ params: { reason } });
}
