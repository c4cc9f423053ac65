import type { CloudEvent, EventDefinition } from '@outrig/messaging';
import { SagaErrors } from '../errors.ts';

/** A command a step sends: an event of `definition`, written to the outbox in the transition. */
export interface SagaCommand {
  readonly definition: EventDefinition;
  readonly data: unknown;
  /** The command's aggregate id (its partition key). Default: the saga's key. */
  readonly subject?: string;
}

/** The replies that settle a command: `ok` advances, `fail` (a decline) takes the failure path. */
export interface SagaReplies<D> {
  readonly ok: readonly EventDefinition[];
  readonly fail?: readonly EventDefinition[];
  /** Folds a reply (ok or fail) into the saga's data. Default: data unchanged. */
  readonly apply?: (data: D, reply: CloudEvent) => D;
}

/** The compensation of a step: an idempotent command that undoes it. */
export interface SagaCompensation<D> extends SagaReplies<D> {
  readonly command: (data: D) => SagaCommand;
  /** How long to wait for a reply before retrying. Default 30 000 ms. */
  readonly timeoutMs?: number;
  /** Attempts before the instance ends in `compensation_failed`. Default 5. */
  readonly maxAttempts?: number;
  /** Wait before the next attempt after a `fail` reply: `backoffMs · 2^(attempt-1)`. Default 1000. */
  readonly backoffMs?: number;
}

/** One step: a command, the replies that settle it, its timeout and its compensation. */
export interface SagaStep<D> extends SagaReplies<D> {
  readonly name: string;
  readonly command: (data: D) => SagaCommand;
  /** How long to wait for a reply. Default 30 000 ms. */
  readonly timeoutMs?: number;
  /**
   * Sends before giving up on a silent participant (each send a new attempt, with its own
   * command id). Default 1: a timeout starts compensation.
   */
  readonly maxAttempts?: number;
  /** Undo; omitted when the step needs none (a read, a notification). */
  readonly compensation?: SagaCompensation<D>;
}

/** What {@link defineSaga} takes. */
export interface SagaDefinitionOptions<D> {
  /** Stable name: `order`. Instances are unique per (name, key). */
  readonly name: string;
  /** Version of this definition (integer ≥ 1). Instances finish on the version they started on. */
  readonly version: number;
  /** The event that starts an instance, its correlation key and the initial data. */
  readonly startedBy: {
    readonly event: EventDefinition;
    /** Correlation key: one instance per key, enforced by the database. Default: `event.subject`. */
    readonly key?: (event: CloudEvent) => string;
    readonly data: (event: CloudEvent) => D;
  };
  readonly steps: readonly SagaStep<D>[];
  /** Deadline for the whole saga from its start; when it passes, running steps are compensated. */
  readonly deadlineMs?: number;
}

/** A validated saga definition. */
export interface SagaDefinition<D = unknown> extends SagaDefinitionOptions<D> {
  /** Every event type this definition reacts to as a reply, with its topic. */
  readonly replyTypes: ReadonlyMap<string, string>;
}

/** Default timeout of steps and compensations. */
export const DEFAULT_STEP_TIMEOUT_MS = 30_000;
/** Default compensation attempts. */
export const DEFAULT_COMPENSATION_ATTEMPTS = 5;
/** Default first backoff between compensation attempts. */
export const DEFAULT_COMPENSATION_BACKOFF_MS = 1000;

const NAME = /^[a-z][a-z0-9_-]*$/;

/**
 * Declares a saga: a persisted state machine of steps, each sending a command and waiting for
 * its reply, with compensations run in reverse when a step declines, times out or the deadline
 * passes. The definition is data plus pure functions: no code is replayed after a crash, so
 * changing it never breaks instances in flight (and a new `version` keeps them on the old one).
 *
 * @throws `SAGA_DEFINITION_INVALID`
 * @example
 * const OrderSaga = defineSaga({
 *   name: 'order', version: 1,
 *   startedBy: { event: OrderPlaced, data: (e) => ({ orderId: e.subject }) },
 *   steps: [{
 *     name: 'reserve',
 *     command: (d) => ({ definition: ReserveStock, data: { orderId: d.orderId } }),
 *     ok: [StockReserved], fail: [StockRejected],
 *     compensation: { command: (d) => ({ definition: ReleaseStock, data: { orderId: d.orderId } }), ok: [StockReleased] },
 *   }],
 * });
 */
export function defineSaga<D>(options: SagaDefinitionOptions<D>): SagaDefinition<D> {
  const name = String(options?.name);
  const invalid = (reason: string) => SagaErrors.SAGA_DEFINITION_INVALID({ params: { saga: name, reason } });
  if (typeof options?.name !== 'string' || !NAME.test(options.name)) {
    throw invalid('name must be lower-case letters, digits, - or _, starting with a letter');
  }
  if (!Number.isInteger(options.version) || options.version < 1)
    throw invalid('version must be an integer ≥ 1');
  if (typeof options.startedBy?.event?.type !== 'string')
    throw invalid('startedBy.event must be an event definition');
  if (typeof options.startedBy.data !== 'function') throw invalid('startedBy.data must be a function');
  if (!Array.isArray(options.steps) || options.steps.length === 0)
    throw invalid('steps must be a non-empty array');
  if (options.deadlineMs !== undefined && !positive(options.deadlineMs))
    throw invalid('deadlineMs must be > 0');
  const replyTypes = new Map<string, string>();
  const names = new Set<string>();
  options.steps.forEach((step, i) => {
    const where = `steps[${i}]`;
    if (typeof step?.name !== 'string' || step.name === '') throw invalid(`${where}.name is required`);
    if (names.has(step.name)) throw invalid(`${where}.name ${step.name} is used twice`);
    names.add(step.name);
    checkReplies(step, where, replyTypes, invalid);
    if (step.timeoutMs !== undefined && !positive(step.timeoutMs))
      throw invalid(`${where}.timeoutMs must be > 0`);
    if (step.maxAttempts !== undefined && !(Number.isInteger(step.maxAttempts) && step.maxAttempts >= 1)) {
      throw invalid(`${where}.maxAttempts must be an integer ≥ 1`);
    }
    const c = step.compensation;
    if (c !== undefined) {
      checkReplies(c, `${where}.compensation`, replyTypes, invalid);
      if (c.timeoutMs !== undefined && !positive(c.timeoutMs)) {
        throw invalid(`${where}.compensation.timeoutMs must be > 0`);
      }
      if (c.maxAttempts !== undefined && !(Number.isInteger(c.maxAttempts) && c.maxAttempts >= 1)) {
        throw invalid(`${where}.compensation.maxAttempts must be an integer ≥ 1`);
      }
    }
  });
  return Object.freeze({ ...options, replyTypes });
}

function checkReplies<D>(
  r: SagaReplies<D> & { command: unknown },
  where: string,
  types: Map<string, string>,
  invalid: (reason: string) => Error,
): void {
  if (typeof r.command !== 'function') throw invalid(`${where}.command must be a function`);
  if (!Array.isArray(r.ok) || r.ok.length === 0)
    throw invalid(`${where}.ok must list at least one reply event`);
  for (const def of [...r.ok, ...(r.fail ?? [])]) {
    if (typeof def?.type !== 'string' || typeof def.topic !== 'string') {
      throw invalid(`${where}: replies must be event definitions`);
    }
    types.set(def.type, def.topic);
  }
  if (r.apply !== undefined && typeof r.apply !== 'function')
    throw invalid(`${where}.apply must be a function`);
}

function positive(n: unknown): boolean {
  return typeof n === 'number' && Number.isFinite(n) && n > 0;
}

/** A definition of any data type (the registry and runtime take several at once). */
// biome-ignore lint/suspicious/noExplicitAny: a saga's data type is invariant; lists of sagas mix them
export type AnySagaDefinition = SagaDefinition<any>;
