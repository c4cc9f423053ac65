/**
 * The fake payment provider: it declines an amount above `declineAbove` (minor units) and
 * takes the money otherwise. Told to stop answering (`answering = false`, for tests of the
 * order saga's timeout), it still takes the money but its answer is lost: payment-service
 * records the charge and sends no reply — the case a saga must compensate by refunding.
 * Refunds are always answered.
 */
export class FakeProvider {
  answering: boolean;
  readonly declineAbove: number;

  constructor(options: { declineAbove: number; answering: boolean }) {
    this.declineAbove = options.declineAbove;
    this.answering = options.answering;
  }

  /** `null` = accepted; otherwise the reason of the decline. */
  decide(amount: number): string | null {
    return amount > this.declineAbove
      ? `declined by the provider: ${amount} is above the limit of ${this.declineAbove}`
      : null;
  }
}
