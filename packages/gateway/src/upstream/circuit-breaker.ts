/** Breaker states; the numbers are what the `gateway_upstream_circuit_state` gauge shows. */
export const CIRCUIT_STATES = { closed: 0, 'half-open': 1, open: 2 } as const;

export type CircuitState = keyof typeof CIRCUIT_STATES;

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker (`CIRCUIT_BREAKER_FAILURE_THRESHOLD`). */
  threshold: number;
  /** How long it stays open before one trial request may pass (`CIRCUIT_BREAKER_RECOVERY_TIMEOUT`). */
  recoveryMs: number;
  /** Told about every state change (metrics, logs). */
  onStateChange?: (state: CircuitState) => void;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * A consecutive-failures circuit breaker for one upstream service, shaped for a callback hot
 * path: `allow()` before an attempt, then `success()` or `failure()`. Closed: everything passes;
 * `threshold` consecutive failures open it. Open: nothing passes for `recoveryMs`; then it is
 * half-open and lets exactly one trial through — a success closes it, a failure opens it again.
 *
 * (The service client in @outrig/core uses cockatiel, whose breaker wraps promise-returning
 * calls; the gateway's proxy path is callback-based and counts outcomes itself, so this is a
 * small state machine with the same semantics and the same `CIRCUIT_BREAKER_*` settings.)
 *
 * @example
 * const breaker = new CircuitBreaker({ threshold: 5, recoveryMs: 10_000 });
 * if (!breaker.allow()) throw CoreErrors.CIRCUIT_OPEN({ params: { target } });
 */
export class CircuitBreaker {
  state: CircuitState = 'closed';
  readonly #o: CircuitBreakerOptions;
  readonly #now: () => number;
  #failures = 0;
  #openedAt = 0;
  #trialInFlight = false;

  constructor(options: CircuitBreakerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Whether an attempt may start now (takes the half-open trial slot when it is free). */
  allow(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') {
      if (this.#now() - this.#openedAt < this.#o.recoveryMs) return false;
      this.#set('half-open');
    }
    if (this.#trialInFlight) return false;
    this.#trialInFlight = true;
    return true;
  }

  success(): void {
    this.#failures = 0;
    if (this.state !== 'closed') {
      this.#trialInFlight = false;
      this.#set('closed');
    }
  }

  failure(): void {
    if (this.state === 'half-open') {
      this.#trialInFlight = false;
      this.#open();
      return;
    }
    if (this.state === 'closed' && ++this.#failures >= this.#o.threshold) this.#open();
  }

  /** An attempt that ended without an outcome (client went away): frees the trial slot. */
  release(): void {
    this.#trialInFlight = false;
  }

  /** Milliseconds until an open breaker lets a trial through (0 when not open). */
  retryAfterMs(): number {
    if (this.state !== 'open') return 0;
    return Math.max(0, this.#o.recoveryMs - (this.#now() - this.#openedAt));
  }

  #open(): void {
    this.#openedAt = this.#now();
    this.#failures = 0;
    this.#set('open');
  }

  #set(state: CircuitState): void {
    if (this.state === state) return;
    this.state = state;
    this.#o.onStateChange?.(state);
  }
}
