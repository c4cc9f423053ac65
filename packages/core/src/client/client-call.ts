import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import type { Dispatcher } from 'undici';
import { isOutrigError, OutrigError } from '../errors/outrig-error.ts';
import { CoreErrors } from '../errors.ts';
import type { CallOutcome, ClientMetrics } from './client-metrics.ts';
import type { InstanceBalancer } from './instance-balancer.ts';
import type { ServiceInstanceRef } from './instance-source.ts';
import { type AttemptRequest, sendAttempt, TransportFailure } from './send-attempt.ts';
import type { TargetCircuit } from './target-circuit.ts';
import { type ClientResponse, toClientResponse } from './upstream-response.ts';

/** What the client keeps per target: one balancer and one breaker, shared by all its clients. */
export interface TargetRuntime {
  readonly target: string;
  readonly balancer: InstanceBalancer;
  readonly circuit: TargetCircuit;
  readonly dispatcher: () => Dispatcher;
  readonly metrics: ClientMetrics;
}

/** One call, fully resolved: what to send and how hard to try. */
export interface CallPlan extends AttemptRequest {
  /** Retries allowed when a failure is retryable. */
  retries: number;
  retryDelayMs: number;
  retryMaxDelayMs: number;
  /** Idempotent method, or an `Idempotency-Key` header. */
  idempotent: boolean;
  /** Unwrap `{ data }` (default) or return the body as is. */
  envelope: boolean;
}

const RETRYABLE_STATUS = new Set([502, 503, 504]);

/** A failed attempt that counts against the breaker and the instance; maybe retryable. */
class AttemptFailure extends Error {
  readonly error: OutrigError;
  readonly retryable: boolean;
  readonly outcome: CallOutcome;

  constructor(error: OutrigError, retryable: boolean, outcome: CallOutcome) {
    super(error.message);
    this.error = error;
    this.retryable = retryable;
    this.outcome = outcome;
  }
}

/** Failures the breaker counts: no answer, or a 5xx. */
export function isBreakerFailure(err: unknown): boolean {
  return err instanceof AttemptFailure;
}

/**
 * Runs a call: retry (cockatiel, jittered exponential backoff) around the target's breaker around
 * one attempt. Each attempt picks an instance (another one than before when there is one).
 * Retried: a refused connection (nothing was sent) always; a timeout, a broken connection and
 * 502/503/504 only when the call is idempotent. Never retried: 4xx, 500, an open circuit (also
 * not once this call's own failures opened it).
 * Records `client_requests_total`, `client_retries_total` and `client_request_duration_seconds`.
 */
export async function executeCall(rt: TargetRuntime, plan: CallPlan): Promise<ClientResponse> {
  const started = performance.now();
  const tried = new Set<string>();
  let outcome: CallOutcome = 'success';
  const policy = retry(
    // Once this call's failures opened the circuit, stop: the caller gets the real failure, not CIRCUIT_OPEN.
    handleWhen((err) => err instanceof AttemptFailure && err.retryable && rt.circuit.state === 'closed'),
    {
      maxAttempts: plan.retries,
      backoff: new ExponentialBackoff({ initialDelay: plan.retryDelayMs, maxDelay: plan.retryMaxDelayMs }),
    },
  );
  policy.onRetry(() => rt.metrics.retries.inc({ target: rt.target }));
  try {
    const result = await policy.execute(async () => {
      const instance = await rt.balancer.pick(tried);
      tried.add(instance.id);
      return rt.circuit.execute(() => attempt(rt, plan, instance));
    });
    if (result instanceof OutrigError) {
      outcome = result.code === 'UPSTREAM_BAD_RESPONSE' ? 'bad_response' : 'client_error';
      throw result;
    }
    return result;
  } catch (err) {
    if (err instanceof AttemptFailure) {
      outcome = err.outcome;
      throw err.error;
    }
    if (isOutrigError(err, 'CIRCUIT_OPEN')) outcome = 'circuit_open';
    else if (isOutrigError(err, 'SERVICE_NO_INSTANCES') || isOutrigError(err, 'SERVICE_UNRESOLVED')) {
      outcome = 'no_instance';
    } else if (outcome === 'success') outcome = 'error';
    throw err;
  } finally {
    rt.metrics.requests.inc({ target: rt.target, method: plan.method, outcome });
    rt.metrics.duration.observe({ target: rt.target }, (performance.now() - started) / 1000);
  }
}

/** One exchange with one instance, classified for the breaker, the balancer and the retry. */
async function attempt(
  rt: TargetRuntime,
  plan: CallPlan,
  instance: ServiceInstanceRef,
): Promise<ClientResponse | OutrigError> {
  const { target } = rt;
  let raw: Awaited<ReturnType<typeof sendAttempt>>;
  try {
    raw = await sendAttempt(rt.dispatcher(), instance, plan);
  } catch (err) {
    if (!(err instanceof TransportFailure)) throw err;
    rt.balancer.failure(instance);
    const details = { target, instance: instance.id };
    if (err.kind === 'timeout') {
      const error = CoreErrors.UPSTREAM_TIMEOUT({
        params: { target, timeoutMs: plan.timeoutMs },
        details: { ...details, timeoutMs: plan.timeoutMs },
        cause: err.cause,
      });
      throw new AttemptFailure(error, plan.idempotent, 'timeout');
    }
    const error = CoreErrors.UPSTREAM_UNAVAILABLE({ params: { target }, details, cause: err.cause });
    throw new AttemptFailure(error, err.kind === 'connect' || plan.idempotent, 'unavailable');
  }
  const result = toClientResponse(target, raw, { envelope: plan.envelope });
  if (raw.status >= 500) {
    rt.balancer.failure(instance);
    const error = result instanceof OutrigError ? result : CoreErrors.INTERNAL_ERROR();
    const retryable = plan.idempotent && RETRYABLE_STATUS.has(raw.status);
    throw new AttemptFailure(
      error,
      retryable,
      error.code === 'UPSTREAM_BAD_RESPONSE' ? 'bad_response' : 'server_error',
    );
  }
  rt.balancer.success(instance);
  return result;
}
