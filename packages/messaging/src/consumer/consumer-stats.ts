/**
 * How one delivery (or one attempt) ended:
 * - `handled`: the handler's transaction committed, then the delivery was acked;
 * - `duplicate`: the inbox already had the event: skipped and acked;
 * - `failed`: one handler attempt failed (rolled back); it is retried or dead-lettered;
 * - `dead_lettered`: published to the dead-letter topic, then acked;
 * - `released`: handed back to the broker unfinished (consumer closing, dead-letter publish failed).
 */
export type ConsumeOutcome = 'handled' | 'duplicate' | 'failed' | 'dead_lettered' | 'released';

/** One observation, passed to `onOutcome` (e.g. to feed a metrics histogram). */
export interface ConsumeRecord {
  readonly group: string;
  readonly topic: string;
  readonly type: string;
  readonly outcome: ConsumeOutcome;
  /** The handling attempt (broker redeliveries included). */
  readonly attempt: number;
  /** Time of the attempt (inbox insert, handler, commit) for handled/duplicate/failed; else 0. */
  readonly durationMs: number;
  /** For `dead_lettered`: `invalid`, `handler_failed` or `redelivery_limit`. */
  readonly reason?: DeadLetterReason;
}

export type DeadLetterReason = 'invalid' | 'handler_failed' | 'redelivery_limit';

/** A snapshot of a consumer's counters since it was created. */
export interface ConsumerStats {
  /** Counts per event type and outcome (`failed` counts attempts, the rest deliveries). */
  readonly consumed: Readonly<Record<string, Readonly<Partial<Record<ConsumeOutcome, number>>>>>;
  readonly handled: number;
  readonly duplicatesSkipped: number;
  readonly failedAttempts: number;
  readonly deadLettered: number;
  readonly released: number;
  /** Deliveries being processed right now. */
  readonly inFlight: number;
  /** Attempts that ran a handler (handled or failed): count, total and max duration. */
  readonly handlerDuration: { readonly count: number; readonly totalMs: number; readonly maxMs: number };
}

/** Mutable counters behind `consumer.stats()`. */
export class StatsCollector {
  readonly #consumed = new Map<string, Map<ConsumeOutcome, number>>();
  readonly #totals: Record<ConsumeOutcome, number> = {
    handled: 0,
    duplicate: 0,
    failed: 0,
    dead_lettered: 0,
    released: 0,
  };
  readonly #duration = { count: 0, totalMs: 0, maxMs: 0 };
  inFlight = 0;

  record(r: ConsumeRecord): void {
    let byOutcome = this.#consumed.get(r.type);
    if (!byOutcome) {
      byOutcome = new Map();
      this.#consumed.set(r.type, byOutcome);
    }
    byOutcome.set(r.outcome, (byOutcome.get(r.outcome) ?? 0) + 1);
    this.#totals[r.outcome]++;
    if (r.outcome === 'handled' || r.outcome === 'failed') {
      this.#duration.count++;
      this.#duration.totalMs += r.durationMs;
      this.#duration.maxMs = Math.max(this.#duration.maxMs, r.durationMs);
    }
  }

  snapshot(): ConsumerStats {
    const consumed: Record<string, Partial<Record<ConsumeOutcome, number>>> = {};
    for (const [type, byOutcome] of this.#consumed) consumed[type] = Object.fromEntries(byOutcome);
    return {
      consumed,
      handled: this.#totals.handled,
      duplicatesSkipped: this.#totals.duplicate,
      failedAttempts: this.#totals.failed,
      deadLettered: this.#totals.dead_lettered,
      released: this.#totals.released,
      inFlight: this.inFlight,
      handlerDuration: { ...this.#duration },
    };
  }
}
