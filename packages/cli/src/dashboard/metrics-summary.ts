import { histogramQuantile, type PromSample, parsePrometheusText } from './prometheus-text.ts';

/** Request rate, error rate and p99 of one service, from its `/metrics`. */
export interface MetricsSummary {
  /** Requests served since the service started (probes excluded). */
  readonly requests: number;
  /** Of those, answered 5xx. */
  readonly errors: number;
  /** Requests per second over the window; null until two scrapes. */
  readonly rate: number | null;
  /** Share of 5xx answers (0..1) over the window, else since start; null without requests. */
  readonly errorRate: number | null;
  /** p99 latency in ms over the window, else since start; null without requests. */
  readonly p99Ms: number | null;
  /** Seconds the window covers. */
  readonly windowS: number;
}

interface Snapshot {
  readonly at: number;
  readonly requests: number;
  readonly errors: number;
  readonly buckets: Map<number, number>;
}

/** Routes the dashboard itself (and orchestrators) call: kept out of the summary. */
const PROBES = /^\/(health|ready|metrics|api\/versions)(\/|$)/;
const WINDOW_MS = 60_000;

/** Keeps a minute of scrapes per service and turns them into {@link MetricsSummary}s. */
export class MetricsTracker {
  readonly #history = new Map<string, Snapshot[]>();

  /** Records one scrape of `service`'s `/metrics` text; returns the summary as of now. */
  record(service: string, text: string, now = Date.now()): MetricsSummary {
    const snap = snapshot(parsePrometheusText(text), now);
    const history = (this.#history.get(service) ?? []).filter((s) => now - s.at <= WINDOW_MS);
    // A restart resets the counters: start the window again.
    const last = history.at(-1);
    if (last !== undefined && snap.requests < last.requests) history.length = 0;
    history.push(snap);
    this.#history.set(service, history);
    return summarise(history);
  }
}

function snapshot(samples: readonly PromSample[], at: number): Snapshot {
  let requests = 0;
  let errors = 0;
  const buckets = new Map<number, number>();
  for (const s of samples) {
    if (PROBES.test(s.labels.route ?? '')) continue;
    if (s.name === 'http_requests_total') {
      requests += s.value;
      if (Number(s.labels.status) >= 500) errors += s.value;
    } else if (s.name === 'http_request_duration_seconds_bucket' && s.labels.le !== undefined) {
      const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
      buckets.set(le, (buckets.get(le) ?? 0) + s.value);
    }
  }
  return { at, requests, errors, buckets };
}

function summarise(history: readonly Snapshot[]): MetricsSummary {
  const now = history.at(-1)!;
  const first = history[0]!;
  const windowS = (now.at - first.at) / 1000;
  const windowRequests = now.requests - first.requests;
  const useWindow = history.length > 1 && windowRequests > 0;
  const requests = useWindow ? windowRequests : now.requests;
  const errors = useWindow ? now.errors - first.errors : now.errors;
  const buckets = useWindow
    ? new Map([...now.buckets].map(([le, c]) => [le, c - (first.buckets.get(le) ?? 0)]))
    : now.buckets;
  const p99 = histogramQuantile(0.99, buckets);
  return {
    requests: now.requests,
    errors: now.errors,
    rate: history.length > 1 && windowS > 0 ? round(windowRequests / windowS) : null,
    errorRate: requests > 0 ? round(errors / requests) : null,
    p99Ms: p99 === undefined ? null : round(p99 * 1000),
    windowS: round(windowS),
  };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
