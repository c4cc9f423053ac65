import type { SqlClient } from '@outrig/db';
import {
  type Broker,
  type ConsumeErrorInfo,
  type Consumer,
  type ConsumerPolicy,
  createConsumer,
  type Subscription,
} from '@outrig/messaging';
import { SagaErrors } from '../errors.ts';
import type { AnySagaDefinition } from './define-saga.ts';
import {
  assertSagaVersions,
  type ListSagasOptions,
  listSagas,
  type SagaDetails,
  type SagaSummary,
  showSaga,
} from './saga-admin.ts';
import {
  createSagaEngine,
  type SagaCrashPoint,
  type SagaEngine,
  type TransitionRecord,
} from './saga-engine.ts';
import { createSagaRegistry, type SagaRegistry } from './saga-registry.ts';
import { cleanupSagas } from './saga-retention.ts';
import type { SagaStatus } from './saga-transition.ts';

/** What {@link createSagaRuntime} takes. */
export interface SagaRuntimeOptions {
  /** The service's database: instances, history, timers, inbox and outbox live there. */
  readonly sql: SqlClient;
  readonly broker: Broker;
  /** CloudEvents `source` of the commands: `/services/<name>`. */
  readonly source: string;
  /** Every definition this service runs, all versions still in flight included. */
  readonly sagas: readonly AnySagaDefinition[];
  /** Consumer group (inbox and broker). Default `sagas`. */
  readonly group?: string;
  /** Consumer settings (attempts, backoff, timeout…) for the saga's subscription. */
  readonly consumer?: ConsumerPolicy;
  /** How often the timer poller looks for due timers and operator requests when it found none. Default 250 ms. */
  readonly timerPollMs?: number;
  /** Called for each committed-to-be transition (metrics). */
  readonly onTransition?: (record: TransitionRecord) => void;
  /** Errors the runtime survived (timer poller, handler attempts). */
  readonly onError?: (error: unknown, where: string) => void;
  /**
   * Deletes this runtime's finished instances (`completed`, `compensated`) that ended longer ago
   * than `finishedOlderThanMs`, every `intervalMs` (default 1 hour), with `cleanupSagas`. Off by
   * default: instances are kept forever. `finishedOlderThanMs` must exceed the time a start event
   * can arrive again (the inbox retention): once an instance is gone, its key can start a new one.
   */
  readonly retention?: { readonly finishedOlderThanMs: number; readonly intervalMs?: number };
  /** Test hook: crash points of the reliability tests. */
  readonly crashPoint?: (point: SagaCrashPoint) => void;
}

/** Counters since start. */
export interface SagaRuntimeStats {
  readonly transitions: number;
  readonly started: number;
  readonly completed: number;
  readonly compensated: number;
  readonly compensationFailed: number;
  readonly parked: number;
  readonly timersFired: number;
}

/** A running saga host: consumes starts and replies, fires timers, answers operators. */
export interface SagaRuntime {
  readonly registry: SagaRegistry;
  readonly engine: SagaEngine;
  /**
   * Checks the versions in the database, subscribes, starts the timer poller.
   * @throws `SAGA_VERSION_UNREGISTERED`
   */
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): SagaRuntimeStats;
  /** Calls `listener` for every transition (metrics); resolves a function that removes it. */
  observe(listener: (record: TransitionRecord) => void): () => void;
  /** Operator actions (the CLI and admin routes call these). */
  list(options?: ListSagasOptions): Promise<SagaSummary[]>;
  show(id: string): Promise<SagaDetails>;
  /** Re-sends the current command (running or compensating) as a new attempt. */
  retry(id: string): Promise<SagaStatus>;
  /** Compensates a running instance. */
  abort(id: string, reason?: string): Promise<SagaStatus>;
  /** Takes a `compensation_failed` instance back to compensating. */
  resumeCompensation(id: string): Promise<SagaStatus>;
}

/**
 * Creates the saga runtime of a service.
 *
 * @example
 * const sagas = createSagaRuntime({ sql, broker, source: '/services/order-service', sagas: [OrderSaga] });
 * await sagas.start();
 * // on shutdown
 * await sagas.stop();
 */
export function createSagaRuntime(options: SagaRuntimeOptions): SagaRuntime {
  const { sql, broker, onError } = options;
  if (typeof sql?.transaction !== 'function') invalid('sql must be a SqlClient');
  if (typeof broker?.subscribe !== 'function') invalid('broker must be a Broker');
  if (typeof options.source !== 'string' || options.source === '')
    invalid('source is required: /services/<name>');
  const pollMs = options.timerPollMs ?? 250;
  if (!(Number.isFinite(pollMs) && pollMs >= 1)) invalid('timerPollMs must be ≥ 1');
  const retention = options.retention;
  if (
    retention !== undefined &&
    !(
      Number.isFinite(retention.finishedOlderThanMs) &&
      retention.finishedOlderThanMs >= 0 &&
      (retention.intervalMs === undefined ||
        (Number.isFinite(retention.intervalMs) && retention.intervalMs >= 1))
    )
  ) {
    invalid('retention.finishedOlderThanMs must be ≥ 0 and retention.intervalMs ≥ 1');
  }
  const registry = createSagaRegistry(options.sagas);
  const listeners = new Set<(record: TransitionRecord) => void>();
  const counts = {
    transitions: 0,
    started: 0,
    completed: 0,
    compensated: 0,
    compensationFailed: 0,
    parked: 0,
    timersFired: 0,
  };
  const engine = createSagaEngine({
    registry,
    source: options.source,
    ...(options.crashPoint ? { crashPoint: options.crashPoint } : {}),
    onTransition(r) {
      counts.transitions++;
      if (r.from === null) counts.started++;
      if (r.parked) counts.parked++;
      if (r.timerLagMs !== undefined) counts.timersFired++;
      if (r.from !== r.to) {
        if (r.to === 'completed') counts.completed++;
        if (r.to === 'compensated') counts.compensated++;
        if (r.to === 'compensation_failed') counts.compensationFailed++;
      }
      options.onTransition?.(r);
      for (const listener of listeners) listener(r);
    },
  });
  let consumer: Consumer | undefined;
  let subscription: Subscription | undefined;
  let running = false;
  let stopped = false;
  let poller: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  let retentionTimer: NodeJS.Timeout | undefined;
  let retentionRun: Promise<void> | undefined;
  const scheduleRetention = (delayMs: number) => {
    if (!retention || !running) return;
    retentionTimer = setTimeout(() => {
      retentionRun = cleanupSagas(sql, {
        finishedOlderThanMs: retention.finishedOlderThanMs,
        sagas: [...new Set(registry.all.map((d) => d.name))],
      })
        .then(
          () => {},
          (error: unknown) => onError?.(error, 'retention'),
        )
        .finally(() => {
          retentionRun = undefined;
          scheduleRetention(retention.intervalMs ?? 3_600_000);
        });
    }, delayMs);
    retentionTimer.unref();
  };

  let requestsCheckedAt = 0;
  const pollTimers = async () => {
    while (running) {
      let fired = false;
      try {
        fired = await engine.fireDueTimer(sql);
      } catch (error) {
        onError?.(error, 'timer');
      }
      // Operator requests recorded in the database (the CLI): carried out here, where the
      // definitions are; looked for once per poll interval even while timers keep firing.
      if (running && Date.now() - requestsCheckedAt >= pollMs) {
        requestsCheckedAt = Date.now();
        try {
          if (await engine.handleRequest(sql)) {
            fired = true;
            requestsCheckedAt = 0; // another may be waiting
          }
        } catch (error) {
          onError?.(error, 'request');
        }
      }
      if (fired || !running) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
  };

  return {
    registry,
    engine,
    async start() {
      if (stopped) throw SagaErrors.SAGA_RUNTIME_STOPPED();
      if (running) return;
      await assertSagaVersions(sql, registry);
      running = true;
      consumer = createConsumer({
        sql,
        broker,
        group: options.group ?? 'sagas',
        ...options.consumer,
        onError: (error: unknown, info: ConsumeErrorInfo) => onError?.(error, `consume:${info.stage}`),
      });
      subscription = await consumer.subscribe([...registry.topics], async (event, ctx) => {
        await engine.handle(ctx.tx, event);
      });
      poller = pollTimers();
      scheduleRetention(0);
    },
    async stop() {
      stopped = true;
      running = false;
      wake?.();
      clearTimeout(retentionTimer);
      await retentionRun;
      await poller;
      await subscription?.close().catch(() => {});
      await consumer?.close();
    },
    stats: () => ({ ...counts }),
    observe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    list: (o) => listSagas(sql, o),
    show: (id) => showSaga(sql, id),
    retry: (id) => engine.act(sql, id, 'retry'),
    abort: (id, reason) => engine.act(sql, id, 'abort', reason),
    resumeCompensation: (id) => engine.act(sql, id, 'resume'),
  };
}

function invalid(reason: string): never {
  throw SagaErrors.SAGA_OPTIONS_INVALID({ params: { reason } });
}
