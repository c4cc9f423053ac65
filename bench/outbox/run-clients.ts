import { performance } from 'node:perf_hooks';

/** What a closed-loop run measured. */
export interface ClientsResult {
  /** Operations completed inside the window. */
  ops: number;
  /** Operations completed in all, including those that ended after the window. */
  completed: number;
  /** Operations per second. */
  perSecond: number;
  /** Median and 99th percentile of one operation, ms. */
  p50: number;
  p99: number;
  errors: number;
}

/**
 * Runs `clients` closed loops (each awaits its operation, then starts the next) for `seconds`.
 * Only operations that *finish* inside the window count, so a slow last operation does not
 * stretch it.
 *
 * @example
 * const r = await runClients(8, 5, (c, i) => pool.query('insert …', [i]));
 */
export async function runClients(
  clients: number,
  seconds: number,
  op: (client: number, i: number) => Promise<unknown>,
): Promise<ClientsResult> {
  const started = performance.now();
  const end = started + seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let completed = 0;
  let firstError: unknown;
  const loop = async (c: number) => {
    for (let i = 0; performance.now() < end; i++) {
      const t = performance.now();
      try {
        await op(c, i);
        completed++;
        const done = performance.now();
        if (done <= end) latencies.push(done - t);
      } catch (error) {
        errors++;
        firstError ??= error;
        if (errors > 100) throw firstError;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => loop(c)));
  if (errors > 0) console.warn(`# ${errors} operations failed, first: ${String(firstError)}`);
  return {
    ops: latencies.length,
    completed,
    perSecond: latencies.length / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    errors,
  };
}

/** The `q`-quantile (0…1) of `values` by nearest rank; NaN for an empty list. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
