import { describe, expect, it } from 'vitest';
import { MetricsTracker } from './metrics-summary.ts';
import { histogramQuantile, parsePrometheusText } from './prometheus-text.ts';

const scrape = (ok: number, failed: number, fast: number, slow: number) => `
# HELP http_requests_total HTTP requests served
# TYPE http_requests_total counter
http_requests_total{method="GET",route="/api/v1/items",status="200"} ${ok}
http_requests_total{method="GET",route="/api/v1/items",status="500"} ${failed}
http_requests_total{method="GET",route="/health",status="200"} 999
http_request_duration_seconds_bucket{le="0.01",method="GET",route="/api/v1/items",status="200"} ${fast}
http_request_duration_seconds_bucket{le="0.1",method="GET",route="/api/v1/items",status="200"} ${fast + slow}
http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/api/v1/items",status="200"} ${fast + slow}
http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/health",status="200"} 999
`;

describe('parsePrometheusText', () => {
  it('reads names, labels (with escapes) and values, skipping comments', () => {
    const samples = parsePrometheusText('# HELP x\nup{job="a \\"b\\""} 1\nplain 2.5\nbad line\n');
    expect(samples).toEqual([
      { name: 'up', labels: { job: 'a "b"' }, value: 1 },
      { name: 'plain', labels: {}, value: 2.5 },
    ]);
  });
});

describe('histogramQuantile', () => {
  it('interpolates inside the bucket that holds the rank', () => {
    const buckets = new Map([
      [0.01, 90],
      [0.1, 100],
      [Number.POSITIVE_INFINITY, 100],
    ]);
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.01 * (50 / 90));
    expect(histogramQuantile(0.99, buckets)).toBeCloseTo(0.01 + 0.09 * 0.9);
    expect(histogramQuantile(0.99, new Map())).toBeUndefined();
  });
});

describe('MetricsTracker', () => {
  it('gives totals on the first scrape, then rate, error share and p99 over the window, without probes', () => {
    const m = new MetricsTracker();
    const first = m.record('svc', scrape(10, 0, 10, 0), 0);
    expect(first).toMatchObject({ requests: 10, errors: 0, rate: null, errorRate: 0 });
    expect(first.p99Ms).toBeLessThanOrEqual(10);
    // 10 s later: 20 more requests, 5 of them 500s, and slow ones.
    const second = m.record('svc', scrape(25, 5, 10, 15), 10_000);
    expect(second).toMatchObject({ requests: 30, errors: 5, rate: 2, errorRate: 0.25, windowS: 10 });
    expect(second.p99Ms).toBeGreaterThan(10);
  });

  it('starts the window again when the counters go down (the service restarted)', () => {
    const m = new MetricsTracker();
    m.record('svc', scrape(100, 0, 100, 0), 0);
    const after = m.record('svc', scrape(1, 0, 1, 0), 5000);
    expect(after).toMatchObject({ requests: 1, rate: null });
  });
});
