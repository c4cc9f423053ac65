import { context, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { isOutrigError } from '@outrig/core/errors';
import type { SqlClient, SqlTransaction } from '@outrig/db';
import { type CloudEvent, createOutbox, type Outbox, type OutboxEntry } from '@outrig/messaging';
import { SagaErrors } from '../errors.ts';
import { commandEvent } from './command-event.ts';
import { instanceId } from './command-id.ts';
import type { SagaDefinition } from './define-saga.ts';
import type { SagaRegistry } from './saga-registry.ts';
import type { SagaAction } from './saga-request.ts';
import {
  changeTimers,
  claimDueTimer,
  insertInstance,
  lockInstance,
  parkMessage,
  type StoredInstance,
  updateInstance,
} from './saga-store.ts';
import {
  type SagaInput,
  type SagaStatus,
  type SagaTransition,
  sagaTransition,
  startSaga,
} from './saga-transition.ts';

/** Instrumentation scope of the saga spans. */
export const SAGA_TRACER_NAME = '@outrig/sagas';

/** What one committed transition was, for metrics and tests. */
export interface TransitionRecord {
  readonly saga: string;
  readonly instanceId: string;
  readonly kind: string;
  readonly from: SagaStatus | null;
  readonly to: SagaStatus;
  readonly parked: boolean;
  readonly stepDurationMs?: number;
  readonly timerLagMs?: number;
}

/** Named points inside a transition where a test may crash the process (reliability tests only). */
export type SagaCrashPoint = 'after-inbox-insert' | 'before-commit';

/** What {@link createSagaEngine} takes. */
export interface SagaEngineOptions {
  readonly registry: SagaRegistry;
  /** CloudEvents `source` of the commands: `/services/<name>`. */
  readonly source: string;
  /** Called after each transition's statements, inside its transaction (the commit may still fail). */
  readonly onTransition?: (record: TransitionRecord) => void;
  /** Test hook: called at named points of a transition. */
  readonly crashPoint?: (point: SagaCrashPoint) => void;
}

/** The transition engine: every change of an instance in one transaction. */
export interface SagaEngine {
  /**
   * Handles one incoming event inside `tx` (the consumer's transaction, whose inbox row is
   * already written): a start, a reply, or nothing when no saga cares about its type.
   */
  handle(tx: SqlTransaction, event: CloudEvent): Promise<'started' | 'transition' | 'parked' | 'ignored'>;
  /** Fires at most one due timer in its own transaction; false when none was due. */
  fireDueTimer(sql: SqlClient): Promise<boolean>;
  /** An operator action on one instance, in its own transaction. */
  act(sql: SqlClient, id: string, action: 'abort' | 'retry' | 'resume', reason?: string): Promise<SagaStatus>;
  /**
   * Carries out at most one recorded operator request (`saga_request`, from `requestSagaAction`)
   * of a saga this engine runs, in one transaction with its transition; a refused one (coded
   * error) is marked with its error. False when none was waiting.
   */
  handleRequest(sql: SqlClient): Promise<boolean>;
}

/** Creates the engine over a registry. */
export function createSagaEngine(options: SagaEngineOptions): SagaEngine {
  const { registry, onTransition, crashPoint } = options;
  const outbox: Outbox = createOutbox({ source: options.source });
  const sagaNames = [...new Set(registry.all.map((d) => d.name))];

  const definitionOf = (inst: StoredInstance): SagaDefinition<unknown> => {
    const def = registry.get(inst.saga, inst.version);
    if (!def) {
      throw SagaErrors.SAGA_VERSION_UNREGISTERED({
        params: { saga: inst.saga, version: inst.version, count: 1 },
      });
    }
    return def;
  };

  /** Persists a transition of an existing instance: state + history, timers, commands. */
  const persist = async (
    tx: SqlTransaction,
    inst: StoredInstance,
    t: SagaTransition,
    cause: CloudEvent | undefined,
    extra: Partial<TransitionRecord> = {},
  ) => {
    await updateInstance(tx, inst.id, t.status, t.state, t.entry);
    await sideEffects(tx, inst, t, cause);
    if (t.parked && cause) await parkMessage(tx, inst.saga, inst.id, cause, t.parked);
    record(inst.saga, inst.id, t, extra);
  };

  const sideEffects = async (
    tx: SqlTransaction,
    inst: { id: string; key: string },
    t: SagaTransition,
    cause: CloudEvent | undefined,
  ) => {
    const traceparent = activeTraceparent();
    await changeTimers(tx, inst.id, t.timers.set, t.timers.cancel, traceparent);
    if (t.commands.length > 0) {
      const entries: OutboxEntry[] = t.commands.map((c) => ({
        event: commandEvent(c, inst, outbox.source, cause?.id),
        topic: c.command.definition.topic,
      }));
      await outbox.write(tx, entries);
    }
  };

  const record = (saga: string, id: string, t: SagaTransition, extra: Partial<TransitionRecord>) => {
    trace.getActiveSpan()?.setAttributes({
      'outrig.saga.name': saga,
      'outrig.saga.instance_id': id,
      'outrig.saga.transition': t.entry.kind,
      'outrig.saga.from': t.entry.from ?? 'none',
      'outrig.saga.to': t.status,
    });
    onTransition?.({
      saga,
      instanceId: id,
      kind: t.entry.kind,
      from: t.entry.from,
      to: t.status,
      parked: t.parked !== undefined,
      ...(t.stepDurationMs === undefined ? {} : { stepDurationMs: t.stepDurationMs }),
      ...extra,
    });
  };

  const start = async (tx: SqlTransaction, def: SagaDefinition<unknown>, event: CloudEvent) => {
    const key = def.startedBy.key ? def.startedBy.key(event) : String(event.subject ?? '');
    const id = instanceId(def.name, key);
    let t: SagaTransition;
    try {
      t = startSaga(def, { id, key }, event, Date.now());
    } catch (error) {
      if (!isOutrigError(error, 'SAGA_COMMAND_FAILED')) throw error;
      // The first command could not be built: the instance exists, parked before its first send.
      t = startParked(def, event, error, Date.now());
    }
    const inst = { id, saga: def.name, version: def.version, key, status: t.status, state: t.state };
    if (await insertInstance(tx, inst, t.entry)) {
      await sideEffects(tx, inst, t, event);
      if (t.parked) await parkMessage(tx, def.name, id, event, t.parked);
      record(def.name, id, t, {});
      return t.parked ? ('parked' as const) : ('started' as const);
    }
    // One instance per key: a second start (another event) is recorded and parked.
    const existing = await lockInstance(tx, id);
    if (!existing) throw new Error(`saga ${def.name}: instance for key ${key} vanished`);
    const reason = `a ${def.name} instance for key ${key} already exists`;
    await persist(tx, existing, parkedTransition(existing, event, reason), event);
    return 'parked' as const;
  };

  const reply = async (tx: SqlTransaction, event: CloudEvent) => {
    const id = typeof event.correlationid === 'string' ? event.correlationid : undefined;
    const inst = id && UUID.test(id) ? await lockInstance(tx, id) : undefined;
    if (!inst) {
      await parkMessage(tx, null, null, event, `no saga instance ${String(id)} (correlationid)`);
      onTransition?.({
        saga: 'unknown',
        instanceId: String(id),
        kind: 'message_parked',
        from: null,
        to: 'running',
        parked: true,
      });
      return 'parked' as const;
    }
    const t = transitionOrPark(definitionOf(inst), inst, { kind: 'reply', event });
    await persist(tx, inst, t, event);
    return t.parked ? ('parked' as const) : ('transition' as const);
  };

  const act = async (tx: SqlTransaction, id: string, action: SagaAction, reason?: string) => {
    const inst = await lockInstance(tx, id);
    if (!inst) throw SagaErrors.SAGA_NOT_FOUND({ params: { id } });
    const input: SagaInput =
      action === 'abort' ? { kind: 'abort', ...(reason ? { reason } : {}) } : { kind: action };
    const t = await inTransitionSpan(`operator.${action}`, async () => {
      const next = sagaTransition(
        definitionOf(inst),
        inst,
        input as Exclude<SagaInput, { kind: 'start' }>,
        Date.now(),
      );
      await persist(tx, inst, next, undefined);
      return next;
    });
    return t.status;
  };

  return {
    async handle(tx, event) {
      const def = registry.startedBy(event.type);
      const isReply = registry.isReply(event.type);
      if (!def && !isReply) return 'ignored';
      crashPoint?.('after-inbox-insert');
      const outcome = await inTransitionSpan(event.type, async (span) => {
        span.setAttribute('outrig.saga.message_id', event.id);
        // A start event type may also be a reply type elsewhere: a message carrying a correlation
        // id of an instance is a reply.
        return def && !(isReply && event.correlationid) ? start(tx, def, event) : reply(tx, event);
      });
      crashPoint?.('before-commit');
      return outcome;
    },

    async fireDueTimer(sql) {
      let fired: 'none' | 'busy' | 'fired' = 'none';
      await sql.transaction(async (tx) => {
        const due = await claimDueTimer(tx, sagaNames);
        if (due === undefined) return;
        if (due === 'busy') {
          fired = 'busy';
          return;
        }
        fired = 'fired';
        const parent = parentContext(due.traceparent);
        await context.with(parent, () =>
          inTransitionSpan(`timer.${due.name}`, async () => {
            const inst = due.instance;
            const t = transitionOrPark(definitionOf(inst), inst, {
              kind: 'timer',
              name: due.name,
              token: due.token,
            });
            if (t.stale) return; // superseded: the timer row is gone, nothing else changes
            await persist(tx, inst, t, undefined, { timerLagMs: due.lagMs });
          }),
        );
        crashPoint?.('before-commit');
      });
      return fired !== 'none';
    },

    act(sql, id, action, reason) {
      return sql.transaction((tx) => act(tx, id, action, reason));
    },

    async handleRequest(sql) {
      return sql.transaction(async (tx) => {
        const res = await tx.query<{
          id: string;
          instance_id: string;
          action: SagaAction;
          reason: string | null;
        }>(
          `SELECT id::text AS id, instance_id::text AS instance_id, action, reason FROM saga_request
           WHERE handled_at IS NULL AND saga = ANY($1::text[])
           ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`,
          [sagaNames],
          { name: 'outrig_saga_request_claim_v1' },
        );
        const request = res.rows[0];
        if (!request) return false;
        let outcome: SagaStatus | null = null;
        let error: { code: string; message: string } | null = null;
        try {
          outcome = await act(tx, request.instance_id, request.action, request.reason ?? undefined);
        } catch (cause) {
          // Coded refusals are thrown before anything is written: the transaction is intact.
          if (!isOutrigError(cause)) throw cause;
          error = { code: cause.code, message: cause.message };
        }
        await tx.query(
          `UPDATE saga_request SET handled_at = clock_timestamp(), outcome = $2, error_code = $3, error_message = $4
           WHERE id = $1`,
          [request.id, outcome, error?.code ?? null, error?.message ?? null],
          { name: 'outrig_saga_request_done_v1' },
        );
        return true;
      });
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The transition for a reply or a timer — or, when a command of the definition cannot be built
 * (its `command(data)` threw: a bug in the definition), the instance **parked** where it stands:
 * status, state and timers unchanged, a `command_failed` history entry with the error, and the
 * message kept in `saga_parked`. Nothing is dead-lettered; once the definition is fixed, an
 * operator's `retry` sends the current command again (the participants' effects are idempotent),
 * or `abort` compensates. A step timer still armed fires as usual.
 */
function transitionOrPark(
  def: SagaDefinition<unknown>,
  inst: StoredInstance,
  input: Exclude<SagaInput, { kind: 'start' | 'abort' | 'retry' | 'resume' }>,
): SagaTransition {
  try {
    return sagaTransition(def, inst, input, Date.now());
  } catch (error) {
    if (!isOutrigError(error, 'SAGA_COMMAND_FAILED')) throw error;
    return {
      status: inst.status,
      state: inst.state,
      entry: {
        kind: 'command_failed',
        from: inst.status,
        to: inst.status,
        step: inst.state.step,
        phase: inst.state.phase,
        attempt: inst.state.attempt,
        ...(input.kind === 'reply' ? { messageId: input.event.id } : {}),
        detail: {
          error: error.message,
          failed: error.details ?? {},
          cause: input.kind === 'reply' ? input.event.type : `timer ${input.name}`,
        },
      },
      commands: [],
      timers: { set: [], cancel: [] },
      parked: error.message,
    };
  }
}

/** A start whose first command cannot be built: the instance, parked before its first send. */
function startParked(
  def: SagaDefinition<unknown>,
  event: CloudEvent,
  error: { message: string; details?: Record<string, unknown> | undefined },
  now: number,
): SagaTransition {
  const state = {
    data: def.startedBy.data(event),
    step: 0,
    phase: 'do' as const,
    attempt: 1,
    awaiting: false,
    pending: [],
    compensated: [],
    stepStartedAt: now,
  };
  return {
    status: 'running',
    state,
    entry: {
      kind: 'command_failed',
      from: null,
      to: 'running',
      step: 0,
      phase: 'do',
      attempt: 1,
      messageId: event.id,
      detail: { error: error.message, failed: error.details ?? {}, cause: event.type },
    },
    commands: [],
    timers: {
      set:
        def.deadlineMs === undefined
          ? []
          : [{ name: 'deadline', token: 'deadline', dueInMs: def.deadlineMs }],
      cancel: [],
    },
    parked: error.message,
  };
}

function parkedTransition(inst: StoredInstance, event: CloudEvent, reason: string): SagaTransition {
  return {
    status: inst.status,
    state: inst.state,
    entry: {
      kind: 'start_duplicate',
      from: inst.status,
      to: inst.status,
      step: inst.state.step,
      phase: inst.state.phase,
      attempt: inst.state.attempt,
      messageId: event.id,
      detail: { type: event.type, reason },
    },
    commands: [],
    timers: { set: [], cancel: [] },
    parked: reason,
  };
}

/** One span per transition, a child of the active context (the consume span of the message). */
async function inTransitionSpan<T>(cause: string, fn: (span: Span) => Promise<T>): Promise<T> {
  const tracer = trace.getTracer(SAGA_TRACER_NAME);
  return tracer.startActiveSpan(
    'saga.transition',
    { attributes: { 'outrig.saga.cause': cause } },
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

function activeTraceparent(): string | undefined {
  const ctx = trace.getActiveSpan()?.spanContext();
  if (!ctx || !trace.isSpanContextValid(ctx)) return undefined;
  return `00-${ctx.traceId}-${ctx.spanId}-${(ctx.traceFlags & 1).toString(16).padStart(2, '0')}`;
}

/** The context a timer's span continues: the transition that armed it. */
function parentContext(traceparent: string | null) {
  const m = traceparent ? /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceparent) : null;
  if (!m) return context.active();
  return trace.setSpanContext(context.active(), {
    traceId: m[1] as string,
    spanId: m[2] as string,
    traceFlags: Number.parseInt(m[3] as string, 16),
    isRemote: true,
  });
}
