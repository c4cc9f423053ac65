import { type CloudEvent, createEvent, type EventDefinition } from '@outrig/messaging';
import { commandEvent, replyTo } from './command-event.ts';
import { instanceId } from './command-id.ts';
import type { SagaDefinition } from './define-saga.ts';
import {
  type SagaHistoryEntry,
  type SagaInput,
  type SagaInstance,
  type SagaStatus,
  type SagaTransition,
  sagaTransition,
  startSaga,
} from './saga-transition.ts';

/** An armed timer in the specification's virtual clock. */
export interface SpecTimer {
  readonly name: string;
  readonly token: string;
  /** Milliseconds after the specification's start. */
  readonly dueAt: number;
}

/** What one `when…` produced. */
export interface SpecOutcome<D> {
  readonly status: SagaStatus;
  readonly data: D;
  /** Commands sent by this step of the specification, as the CloudEvents the outbox would get. */
  readonly commands: readonly CloudEvent[];
  /** Timers armed after it. */
  readonly timers: readonly SpecTimer[];
  /** Reasons of messages parked by it. */
  readonly parked: readonly string[];
  /** History entries it appended. */
  readonly history: readonly SagaHistoryEntry[];
}

/** A saga run in memory: given messages, when a message or time passes, then what happened. */
export interface SagaSpecification<D> {
  /** Applies messages (the first must be the start event) and returns this, for chaining. */
  given(...events: CloudEvent[]): SagaSpecification<D>;
  /** Delivers a message. */
  when(event: CloudEvent): SpecOutcome<D>;
  /** Advances the virtual clock, firing every timer that comes due, in due order. */
  whenTimePasses(ms: number): SpecOutcome<D>;
  /** An operator action. */
  whenOperator(action: 'abort' | 'retry' | 'resume'): SpecOutcome<D>;
  /** A reply of `definition` to the latest command sent (or to `command`). */
  reply<T>(definition: EventDefinition, data: T, command?: CloudEvent): CloudEvent;
  readonly instance: SagaInstance<D> | undefined;
  /** Every command sent so far. */
  readonly sent: readonly CloudEvent[];
  /** The whole history so far. */
  readonly history: readonly SagaHistoryEntry[];
  readonly timers: readonly SpecTimer[];
}

/**
 * The specification helper: runs a saga's transition function in memory, with a virtual clock —
 * no database, no broker, microseconds per step. The same function the engine persists.
 *
 * @example
 * const spec = sagaSpecification(OrderSaga).given(orderPlaced);
 * const out = spec.when(spec.reply(StockRejected, { reason: 'none left' }));
 * expect(out.status).toBe('compensated');
 */
export function sagaSpecification<D>(
  def: SagaDefinition<D>,
  options: { source?: string } = {},
): SagaSpecification<D> {
  const source = options.source ?? '/services/saga-specification';
  let instance: SagaInstance<D> | undefined;
  let now = 0;
  const sent: CloudEvent[] = [];
  const history: SagaHistoryEntry[] = [];
  const timers = new Map<string, SpecTimer>();

  const apply = (t: SagaTransition<D>, causation: string | undefined, out: Collect) => {
    if (t.stale) return;
    if (!instance) throw new Error('no instance');
    instance = { ...instance, status: t.status, state: t.state };
    history.push(t.entry);
    out.history.push(t.entry);
    if (t.parked) out.parked.push(t.parked);
    for (const name of t.timers.cancel) timers.delete(name);
    for (const timer of t.timers.set)
      timers.set(timer.name, { name: timer.name, token: timer.token, dueAt: now + timer.dueInMs });
    for (const c of t.commands) {
      const event = commandEvent(c, instance, source, causation);
      sent.push(event);
      out.commands.push(event);
    }
  };
  const deliver = (input: SagaInput, out: Collect) => {
    if (input.kind === 'start') {
      if (instance) throw new Error('the saga is already started');
      const key = def.startedBy.key ? def.startedBy.key(input.event) : String(input.event.subject);
      const id = instanceId(def.name, key);
      const t = startSaga(def, { id, key }, input.event, now);
      instance = { id, saga: def.name, version: def.version, key, status: t.status, state: t.state };
      history.length = 0;
      apply(t, input.event.id, out);
      return;
    }
    if (!instance) throw new Error('deliver the start event first (given(startEvent))');
    const causation = input.kind === 'reply' ? input.event.id : undefined;
    apply(sagaTransition(def, instance, input, now), causation, out);
  };
  const outcome = (out: Collect): SpecOutcome<D> => {
    if (!instance) throw new Error('no instance');
    return { status: instance.status, data: instance.state.data, ...out, timers: [...timers.values()] };
  };
  const fresh = (): Collect => ({ commands: [], parked: [], history: [] });
  const inputOf = (event: CloudEvent): SagaInput =>
    !instance && event.type === def.startedBy.event.type
      ? { kind: 'start', event }
      : { kind: 'reply', event };

  const spec: SagaSpecification<D> = {
    given(...events) {
      for (const event of events) deliver(inputOf(event), fresh());
      return spec;
    },
    when(event) {
      const out = fresh();
      deliver(inputOf(event), out);
      return outcome(out);
    },
    whenTimePasses(ms) {
      const out = fresh();
      const until = now + ms;
      for (;;) {
        const due = [...timers.values()].filter((t) => t.dueAt <= until).sort((a, b) => a.dueAt - b.dueAt)[0];
        if (!due) break;
        now = Math.max(now, due.dueAt);
        timers.delete(due.name);
        deliver({ kind: 'timer', name: due.name, token: due.token }, out);
      }
      now = until;
      return outcome(out);
    },
    whenOperator(action) {
      const out = fresh();
      deliver({ kind: action } as SagaInput, out);
      return outcome(out);
    },
    reply(definition, data, command) {
      const cmd = command ?? sent[sent.length - 1];
      if (!cmd) throw new Error('no command was sent yet');
      return createEvent(definition, {
        subject: cmd.subject ?? 'subject',
        data,
        source: '/services/participant',
        ...replyTo(cmd),
      });
    },
    get instance() {
      return instance;
    },
    get sent() {
      return sent;
    },
    get history() {
      return history;
    },
    get timers() {
      return [...timers.values()];
    },
  };
  return spec;
}

interface Collect {
  commands: CloudEvent[];
  parked: string[];
  history: SagaHistoryEntry[];
}
