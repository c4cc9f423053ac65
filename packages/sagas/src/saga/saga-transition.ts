import type { CloudEvent } from '@outrig/messaging';
import { SagaErrors } from '../errors.ts';
import { commandId } from './command-id.ts';
import {
  DEFAULT_COMPENSATION_ATTEMPTS,
  DEFAULT_COMPENSATION_BACKOFF_MS,
  DEFAULT_STEP_TIMEOUT_MS,
  type SagaCommand,
  type SagaDefinition,
  type SagaReplies,
} from './define-saga.ts';

/** Where an instance stands. `completed`, `compensated` are final; `compensation_failed` waits for an operator. */
export type SagaStatus = 'running' | 'compensating' | 'completed' | 'compensated' | 'compensation_failed';

/** `do`: the step's command; `undo`: its compensation. */
export type SagaPhase = 'do' | 'undo';

/** The engine's persisted state of one instance (the `state` column). */
export interface SagaState<D = unknown> {
  readonly data: D;
  /** Index of the current step (forward or being compensated). */
  readonly step: number;
  readonly phase: SagaPhase;
  /** Attempt of the current command (1-based). */
  readonly attempt: number;
  /** First attempt of the current attempt budget (an operator's resume starts a new budget). */
  readonly budgetFrom?: number;
  /** Whether the current attempt's command is out and its reply awaited (false during a backoff). */
  readonly awaiting: boolean;
  /** Steps still to compensate, current first (phase `undo`). */
  readonly pending: readonly number[];
  /** Steps whose compensation completed, in the order they ran. */
  readonly compensated: readonly number[];
  /** Why compensation started. */
  readonly reason?: string;
  /** When the current command (step or compensation) was first sent, ms since the epoch. */
  readonly stepStartedAt: number;
}

/** One instance as the engine sees it. */
export interface SagaInstance<D = unknown> {
  readonly id: string;
  readonly saga: string;
  readonly version: number;
  readonly key: string;
  readonly status: SagaStatus;
  readonly state: SagaState<D>;
}

/** What can happen to an instance. */
export type SagaInput =
  | { readonly kind: 'start'; readonly event: CloudEvent }
  | { readonly kind: 'reply'; readonly event: CloudEvent }
  | { readonly kind: 'timer'; readonly name: string; readonly token: string }
  | { readonly kind: 'abort'; readonly reason?: string }
  | { readonly kind: 'retry' }
  | { readonly kind: 'resume' };

/** A command to write to the outbox, with its deterministic id. */
export interface PlannedCommand {
  readonly id: string;
  readonly step: number;
  readonly phase: SagaPhase;
  readonly attempt: number;
  readonly command: SagaCommand;
}

/** A timer to (re)arm: it replaces any timer of the same name of the instance. */
export interface PlannedTimer {
  readonly name: 'step' | 'deadline';
  readonly token: string;
  readonly dueInMs: number;
}

/** The append-only history entry of a transition. */
export interface SagaHistoryEntry {
  readonly kind: string;
  readonly from: SagaStatus | null;
  readonly to: SagaStatus;
  readonly step: number;
  readonly phase: SagaPhase;
  readonly attempt: number;
  readonly messageId?: string;
  readonly detail?: Record<string, unknown>;
}

/** Everything one transition does; the engine persists it in one transaction. */
export interface SagaTransition<D = unknown> {
  readonly status: SagaStatus;
  readonly state: SagaState<D>;
  readonly entry: SagaHistoryEntry;
  readonly commands: readonly PlannedCommand[];
  readonly timers: {
    readonly set: readonly PlannedTimer[];
    readonly cancel: readonly ('step' | 'deadline')[];
  };
  /** Set when the message was not accepted: it is parked (kept, with this reason), state unchanged. */
  readonly parked?: string;
  /** Duration of a step or compensation that ended in this transition. */
  readonly stepDurationMs?: number;
  /** Whether a timer named in the input was stale (superseded): then nothing else happened. */
  readonly stale?: boolean;
}

/** Statuses after which nothing but parking happens. */
export const FINAL_STATUSES: readonly SagaStatus[] = ['completed', 'compensated'];

/** The status changes a history may contain (from → to), `null` for the start. */
export const SAGA_STATUS_EDGES: Readonly<Record<SagaStatus | 'null', readonly SagaStatus[]>> = {
  null: ['running'],
  running: ['running', 'completed', 'compensating', 'compensated'],
  compensating: ['compensating', 'compensated', 'compensation_failed'],
  compensation_failed: ['compensation_failed', 'compensating'],
  completed: ['completed'],
  compensated: ['compensated'],
};

/** The instance a start creates: id and key are given (the engine derives them). */
export function startSaga<D>(
  def: SagaDefinition<D>,
  ids: { id: string; key: string },
  event: CloudEvent,
  now: number,
): SagaTransition<D> {
  const data = def.startedBy.data(event);
  const state: SagaState<D> = {
    data,
    step: 0,
    phase: 'do',
    attempt: 1,
    awaiting: true,
    pending: [],
    compensated: [],
    stepStartedAt: now,
  };
  const first = send(def, ids.id, state);
  const timers: PlannedTimer[] = [first.timer];
  if (def.deadlineMs !== undefined)
    timers.push({ name: 'deadline', token: 'deadline', dueInMs: def.deadlineMs });
  return {
    status: 'running',
    state,
    entry: entryOf('started', null, 'running', state, event.id, { key: ids.key }),
    commands: [first.command],
    timers: { set: timers, cancel: [] },
  };
}

/**
 * The pure transition function: given the instance and an input (a reply, a timer, an operator
 * action), what the instance becomes, which commands go out and which timers change. No I/O:
 * the engine persists the result in one transaction, the specification helper runs it in memory.
 *
 * @throws `SAGA_ACTION_NOT_ALLOWED` for an operator action the status does not allow.
 */
export function sagaTransition<D>(
  def: SagaDefinition<D>,
  instance: SagaInstance<D>,
  input: Exclude<SagaInput, { kind: 'start' }>,
  now: number,
): SagaTransition<D> {
  switch (input.kind) {
    case 'reply':
      return onReply(def, instance, input.event, now);
    case 'timer':
      return onTimer(def, instance, input.name, input.token, now);
    case 'abort':
      if (instance.status !== 'running') throw notAllowed('abort', instance);
      return beginCompensation(
        def,
        instance,
        `aborted${input.reason ? `: ${input.reason}` : ''}`,
        true,
        'aborted',
        now,
      );
    case 'retry': {
      if (instance.status !== 'running' && instance.status !== 'compensating')
        throw notAllowed('retry', instance);
      return resend(def, instance, instance.status, 'retried', now);
    }
    case 'resume':
      if (instance.status !== 'compensation_failed') throw notAllowed('resume-compensation', instance);
      return resend(
        def,
        { ...instance, state: { ...instance.state, budgetFrom: instance.state.attempt + 1 } },
        'compensating',
        'compensation_resumed',
        now,
      );
  }
}

function onReply<D>(
  def: SagaDefinition<D>,
  inst: SagaInstance<D>,
  event: CloudEvent,
  now: number,
): SagaTransition<D> {
  const { state, status } = inst;
  if (status === 'completed' || status === 'compensated') return park(inst, event, `instance is ${status}`);
  const replies = repliesOf(def, state);
  const attempts = Array.from({ length: state.attempt }, (_, i) =>
    commandId(inst.id, state.step, state.phase, i + 1),
  );
  const latest = attempts[attempts.length - 1];
  const isOk = replies.ok.some((d) => d.type === event.type);
  const isFail = (replies.fail ?? []).some((d) => d.type === event.type);
  if (!attempts.includes(String(event.causationid))) {
    return park(
      inst,
      event,
      `late or unrelated reply: causation ${String(event.causationid)} is no command of the current ${state.phase} of step ${state.step}`,
    );
  }
  if (!isOk && !isFail)
    return park(
      inst,
      event,
      `unexpected reply type ${event.type} for the ${state.phase} of step ${state.step}`,
    );
  // A decline only counts for the attempt still awaited; an ok settles any attempt of the step.
  if (isFail && !(state.awaiting && event.causationid === latest)) {
    return park(inst, event, `late decline of an earlier attempt of step ${state.step}`);
  }
  const data = replies.apply ? replies.apply(state.data, event) : state.data;
  const settled: SagaState<D> = { ...state, data };
  const duration = now - state.stepStartedAt;
  if (state.phase === 'do') {
    if (isFail) {
      const name = def.steps[state.step]?.name;
      const t = beginCompensation(
        def,
        { ...inst, state: settled },
        `step ${name} declined (${event.type})`,
        false,
        'step_declined',
        now,
        event.id,
      );
      return { ...t, stepDurationMs: duration };
    }
    const next = state.step + 1;
    if (next >= def.steps.length) {
      return {
        status: 'completed',
        state: { ...settled, awaiting: false },
        entry: entryOf('completed', status, 'completed', state, event.id),
        commands: [],
        timers: { set: [], cancel: ['step', 'deadline'] },
        stepDurationMs: duration,
      };
    }
    const moved: SagaState<D> = { ...settled, step: next, attempt: 1, awaiting: true, stepStartedAt: now };
    const out = send(def, inst.id, moved);
    return {
      status: 'running',
      state: moved,
      entry: entryOf('step_completed', status, 'running', state, event.id),
      commands: [out.command],
      timers: { set: [out.timer], cancel: [] },
      stepDurationMs: duration,
    };
  }
  if (isFail) {
    const t = compensationAttemptFailed(def, inst, settled, `declined (${event.type})`, now, event.id);
    return { ...t, stepDurationMs: duration };
  }
  return {
    ...nextCompensation(def, inst, settled, 'compensation_completed', now, event.id),
    stepDurationMs: duration,
  };
}

function onTimer<D>(
  def: SagaDefinition<D>,
  inst: SagaInstance<D>,
  name: string,
  token: string,
  now: number,
): SagaTransition<D> {
  const { state, status } = inst;
  const live = status === 'running' || status === 'compensating';
  if (name === 'deadline') {
    if (status !== 'running') return stale(inst, name);
    return beginCompensation(def, inst, 'deadline passed', true, 'deadline_passed', now);
  }
  if (!live || token !== stepToken(state)) return stale(inst, name);
  if (!state.awaiting) {
    // A compensation's backoff ended: send its next attempt.
    return resend(def, inst, 'compensating', 'compensation_retried', now);
  }
  if (state.phase === 'do') {
    const max = def.steps[state.step]?.maxAttempts ?? 1;
    if (state.attempt < max) return resend(def, inst, 'running', 'step_timed_out_resent', now);
    const stepName = def.steps[state.step]?.name;
    return beginCompensation(def, inst, `step ${stepName} timed out`, true, 'step_timed_out', now);
  }
  return compensationAttemptFailed(def, inst, state, 'timed out', now, undefined, true);
}

/**
 * Starts compensating: every step that completed, plus the current one when its outcome is
 * unknown (timed out, deadline, abort), in reverse order. Steps without a compensation are skipped.
 */
function beginCompensation<D>(
  def: SagaDefinition<D>,
  inst: SagaInstance<D>,
  reason: string,
  currentUnknown: boolean,
  kind: string,
  now: number,
  messageId?: string,
): SagaTransition<D> {
  const { state } = inst;
  const last = currentUnknown ? state.step : state.step - 1;
  const pending: number[] = [];
  for (let i = last; i >= 0; i--) if (def.steps[i]?.compensation) pending.push(i);
  const base: SagaState<D> = { ...state, pending, reason, awaiting: false };
  if (pending.length === 0) {
    return {
      status: 'compensated',
      state: base,
      entry: entryOf(kind, inst.status, 'compensated', state, messageId, { reason, compensate: [] }),
      commands: [],
      timers: { set: [], cancel: ['step', 'deadline'] },
    };
  }
  const first: SagaState<D> = {
    ...base,
    step: pending[0] as number,
    phase: 'undo',
    attempt: 1,
    budgetFrom: 1,
    awaiting: true,
    stepStartedAt: now,
  };
  const out = send(def, inst.id, first);
  return {
    status: 'compensating',
    state: first,
    entry: entryOf(kind, inst.status, 'compensating', state, messageId, { reason, compensate: pending }),
    commands: [out.command],
    timers: { set: [out.timer], cancel: ['deadline'] },
  };
}

/** The current compensation completed: the next one, or `compensated`. */
function nextCompensation<D>(
  def: SagaDefinition<D>,
  inst: SagaInstance<D>,
  state: SagaState<D>,
  kind: string,
  now: number,
  messageId?: string,
): SagaTransition<D> {
  const compensated = [...state.compensated, state.step];
  const pending = state.pending.slice(1);
  if (pending.length === 0) {
    return {
      status: 'compensated',
      state: { ...state, compensated, pending, awaiting: false },
      entry: entryOf('compensated', inst.status, 'compensated', inst.state, messageId),
      commands: [],
      timers: { set: [], cancel: ['step', 'deadline'] },
    };
  }
  const next: SagaState<D> = {
    ...state,
    compensated,
    pending,
    step: pending[0] as number,
    attempt: 1,
    budgetFrom: 1,
    awaiting: true,
    stepStartedAt: now,
  };
  const out = send(def, inst.id, next);
  return {
    status: 'compensating',
    state: next,
    entry: entryOf(kind, inst.status, 'compensating', inst.state, messageId),
    commands: [out.command],
    timers: { set: [out.timer], cancel: [] },
  };
}

/** A compensation attempt declined or timed out: back off and retry, or give up. */
function compensationAttemptFailed<D>(
  def: SagaDefinition<D>,
  inst: SagaInstance<D>,
  state: SagaState<D>,
  why: string,
  now: number,
  messageId?: string,
  timedOut = false,
): SagaTransition<D> {
  const c = def.steps[state.step]?.compensation;
  const max = c?.maxAttempts ?? DEFAULT_COMPENSATION_ATTEMPTS;
  const detail = { why, attempt: state.attempt, maxAttempts: max };
  if (state.attempt - (state.budgetFrom ?? 1) + 1 >= max) {
    return {
      status: 'compensation_failed',
      state: { ...state, awaiting: false },
      entry: entryOf(
        'compensation_failed',
        inst.status,
        'compensation_failed',
        inst.state,
        messageId,
        detail,
      ),
      commands: [],
      timers: { set: [], cancel: ['step', 'deadline'] },
    };
  }
  if (timedOut) return resend(def, inst, 'compensating', 'compensation_timed_out_resent', now);
  const waiting: SagaState<D> = { ...state, awaiting: false };
  const backoff = (c?.backoffMs ?? DEFAULT_COMPENSATION_BACKOFF_MS) * 2 ** (state.attempt - 1);
  return {
    status: 'compensating',
    state: waiting,
    entry: entryOf('compensation_declined', inst.status, 'compensating', inst.state, messageId, detail),
    commands: [],
    timers: { set: [{ name: 'step', token: stepToken(waiting), dueInMs: backoff }], cancel: [] },
  };
}

/** Sends the current command again as the next attempt (a new command id). */
function resend<D>(
  def: SagaDefinition<D>,
  inst: SagaInstance<D>,
  to: SagaStatus,
  kind: string,
  _now: number,
): SagaTransition<D> {
  const phase = to === 'compensating' ? 'undo' : inst.state.phase;
  const next: SagaState<D> = { ...inst.state, phase, attempt: inst.state.attempt + 1, awaiting: true };
  const out = send(def, inst.id, next);
  return {
    status: to,
    state: next,
    entry: entryOf(kind, inst.status, to, next),
    commands: [out.command],
    timers: { set: [out.timer], cancel: [] },
  };
}

function send<D>(
  def: SagaDefinition<D>,
  id: string,
  state: SagaState<D>,
): { command: PlannedCommand; timer: PlannedTimer } {
  const step = def.steps[state.step];
  if (!step) throw new Error(`saga ${def.name}: no step ${state.step}`);
  const c = state.phase === 'do' ? step : step.compensation;
  if (!c) throw new Error(`saga ${def.name}: step ${step.name} has no compensation`);
  let command: SagaCommand;
  try {
    command = c.command(state.data);
  } catch (cause) {
    // A bug in the definition: the engine parks the instance and records it (no dead letter).
    throw SagaErrors.SAGA_COMMAND_FAILED({
      params: { saga: def.name, step: step.name, phase: state.phase, reason: errorMessage(cause) },
      details: { step: state.step, phase: state.phase, attempt: state.attempt },
      cause,
    });
  }
  return {
    command: {
      id: commandId(id, state.step, state.phase, state.attempt),
      step: state.step,
      phase: state.phase,
      attempt: state.attempt,
      command,
    },
    timer: { name: 'step', token: stepToken(state), dueInMs: c.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS },
  };
}

/** The token of the step timer armed for this state: a timer whose token differs is superseded. */
export function stepToken(state: Pick<SagaState, 'step' | 'phase' | 'attempt' | 'awaiting'>): string {
  return `${state.awaiting ? 'reply' : 'backoff'}:${state.phase}:${state.step}:${state.attempt}`;
}

function repliesOf<D>(def: SagaDefinition<D>, state: SagaState<D>): SagaReplies<D> {
  const step = def.steps[state.step];
  const r = state.phase === 'do' ? step : step?.compensation;
  if (!r) throw new Error(`saga ${def.name}: no ${state.phase} at step ${state.step}`);
  return r;
}

function park<D>(inst: SagaInstance<D>, event: CloudEvent, reason: string): SagaTransition<D> {
  return {
    status: inst.status,
    state: inst.state,
    entry: entryOf('message_parked', inst.status, inst.status, inst.state, event.id, {
      type: event.type,
      reason,
    }),
    commands: [],
    timers: { set: [], cancel: [] },
    parked: reason,
  };
}

function stale<D>(inst: SagaInstance<D>, name: string): SagaTransition<D> {
  return {
    status: inst.status,
    state: inst.state,
    entry: entryOf('timer_stale', inst.status, inst.status, inst.state, undefined, { timer: name }),
    commands: [],
    timers: { set: [], cancel: [] },
    stale: true,
  };
}

function entryOf(
  kind: string,
  from: SagaStatus | null,
  to: SagaStatus,
  state: SagaState,
  messageId?: string,
  detail?: Record<string, unknown>,
): SagaHistoryEntry {
  return {
    kind,
    from,
    to,
    step: state.step,
    phase: state.phase,
    attempt: state.attempt,
    ...(messageId === undefined ? {} : { messageId }),
    ...(detail === undefined ? {} : { detail }),
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function notAllowed(action: string, inst: SagaInstance): Error {
  return SagaErrors.SAGA_ACTION_NOT_ALLOWED({ params: { action, id: inst.id, status: inst.status } });
}
