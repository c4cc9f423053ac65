import type { RoleReport } from './pipeline-protocol.ts';
import { percentile } from './run-clients.ts';

/** One phase's figures. Rates are per second over the measured window (after warm-up). */
export interface PhaseResult {
  /** Commits per second by the producers. */
  producedPerS: number;
  /** Events handled by the consumer per second. */
  handledPerS: number;
  /** Commit → handler latency of events committed in the window, ms. */
  p50: number;
  p99: number;
  max: number;
  /**
   * The latency split in three: commit → the relay's `publish(batch)` call begins (wake-up, fetch,
   * claim), that call (broker round trips), its end → the handler starts (broker delivery, consumer).
   */
  stages: Record<'pickup' | 'publish' | 'delivery', { p50: number; p99: number }>;
  /** Events committed in the phase that never reached the handler (after the drain wait). */
  missing: number;
  /** Handler runs beyond one per event (retried attempts recorded twice). */
  repeats: number;
  producerErrors: number;
  cpu: Record<string, number>;
  machineBusyPercent: number;
  load: number;
  reports: RoleReport[];
}

/**
 * Joins the producer's commit samples, the relay's publish samples and the consumer's handler
 * samples of one phase (by client and counter) into rates over the window [w0, w1) and latencies
 * of the events committed in it.
 */
export function summarize(
  produced: number[],
  handled: number[],
  published: number[],
  w0: number,
  w1: number,
  rest: Pick<PhaseResult, 'producerErrors' | 'cpu' | 'machineBusyPercent' | 'load' | 'reports'>,
): { result: PhaseResult; uniqueHandled: number } {
  const seconds = (w1 - w0) / 1000;
  const key = (c: number, i: number) => c * 1e9 + i;
  const handledAt = new Map<number, number>();
  let repeats = 0;
  let handledInWindow = 0;
  for (let k = 0; k < handled.length; k += 3) {
    const id = key(handled[k]!, handled[k + 1]!);
    const at = handled[k + 2]!;
    if (handledAt.has(id)) repeats++;
    else handledAt.set(id, at);
    if (at >= w0 && at < w1) handledInWindow++;
  }
  // First publish of each event (a re-publish after a failure would come later).
  const publishedAt = new Map<number, [number, number]>();
  for (let k = 0; k < published.length; k += 4) {
    const id = key(published[k]!, published[k + 1]!);
    if (!publishedAt.has(id)) publishedAt.set(id, [published[k + 2]!, published[k + 3]!]);
  }
  const latencies: number[] = [];
  const pickup: number[] = [];
  const publish: number[] = [];
  const delivery: number[] = [];
  let producedInWindow = 0;
  let missing = 0;
  for (let k = 0; k < produced.length; k += 3) {
    const commitAt = produced[k + 2]!;
    const id = key(produced[k]!, produced[k + 1]!);
    const at = handledAt.get(id);
    if (at === undefined) missing++;
    if (commitAt < w0 || commitAt >= w1) continue;
    producedInWindow++;
    if (at !== undefined) latencies.push(at - commitAt);
    const pub = publishedAt.get(id);
    if (pub !== undefined) {
      pickup.push(pub[0] - commitAt);
      publish.push(pub[1] - pub[0]);
      if (at !== undefined) delivery.push(at - pub[1]);
    }
  }
  const stage = (xs: number[]) => ({ p50: percentile(xs, 0.5), p99: percentile(xs, 0.99) });
  return {
    uniqueHandled: handledAt.size,
    result: {
      producedPerS: producedInWindow / seconds,
      handledPerS: handledInWindow / seconds,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      max: latencies.length ? Math.max(...latencies) : Number.NaN,
      stages: { pickup: stage(pickup), publish: stage(publish), delivery: stage(delivery) },
      missing,
      repeats,
      ...rest,
    },
  };
}
