import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import { CoreErrors } from '../errors.ts';

/** Breaker state as reported by `client.circuitState` and the `client_circuit_state` gauge. */
export type CircuitStateName = 'closed' | 'half-open' | 'open';

/** Gauge values of `client_circuit_state`. */
export const CIRCUIT_GAUGE: Readonly<Record<CircuitStateName, number>> = {
  closed: 0,
  'half-open': 1,
  open: 2,
};

export interface TargetCircuitOptions {
  target: string;
  enabled: boolean;
  /** Consecutive failed attempts that open the circuit. */
  failureThreshold: number;
  /** How long the open circuit fails fast before a trial call. */
  recoveryTimeoutMs: number;
  /** Which thrown errors count as failures (others pass through and leave the count alone). */
  isFailure: (err: unknown) => boolean;
  onStateChange: (state: CircuitStateName) => void;
}

/**
 * The circuit breaker of one target (cockatiel, consecutive-failures breaker). Closed: calls pass,
 * `failureThreshold` failed attempts in a row open it. Open: calls fail at once with 503
 * `CIRCUIT_OPEN`. After `recoveryTimeoutMs` the next call is a trial (half-open) while other
 * calls keep failing fast; the trial's success closes the circuit, its failure opens it again.
 */
export class TargetCircuit {
  readonly #options: TargetCircuitOptions;
  readonly #breaker: CircuitBreakerPolicy | undefined;
  #openedAt = 0;

  constructor(options: TargetCircuitOptions) {
    this.#options = options;
    if (!options.enabled) return;
    this.#breaker = circuitBreaker(handleWhen(options.isFailure), {
      halfOpenAfter: options.recoveryTimeoutMs,
      breaker: new ConsecutiveBreaker(options.failureThreshold),
    });
    this.#breaker.onStateChange((state) => {
      if (state === CircuitState.Open) this.#openedAt = Date.now();
      options.onStateChange(stateName(state));
    });
  }

  get state(): CircuitStateName {
    return this.#breaker ? stateName(this.#breaker.state) : 'closed';
  }

  /** Runs one attempt through the breaker; throws `CIRCUIT_OPEN` instead of calling when open. */
  async execute<T>(attempt: () => Promise<T>): Promise<T> {
    const breaker = this.#breaker;
    if (!breaker) return attempt();
    // cockatiel queues calls behind a half-open trial; a breaker should fail them fast instead.
    if (breaker.state === CircuitState.HalfOpen) throw this.#openError();
    try {
      return await breaker.execute(attempt);
    } catch (err) {
      if (err instanceof BrokenCircuitError) throw this.#openError();
      throw err;
    }
  }

  #openError() {
    const { target, recoveryTimeoutMs } = this.#options;
    const retryAfterMs = Math.max(0, this.#openedAt + recoveryTimeoutMs - Date.now());
    return CoreErrors.CIRCUIT_OPEN({ params: { target }, details: { target, retryAfterMs } });
  }
}

function stateName(state: CircuitState): CircuitStateName {
  if (state === CircuitState.Closed) return 'closed';
  if (state === CircuitState.HalfOpen) return 'half-open';
  return 'open';
}
