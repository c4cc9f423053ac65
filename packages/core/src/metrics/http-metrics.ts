import type { FastifyInstance } from 'fastify';
import type { Counter, Histogram } from 'prom-client';
import type { Metrics } from './metrics.ts';

/** Route config flag: `metrics: false` keeps a route out of the RED metrics. */
export interface MetricsRouteConfig {
  metrics?: boolean;
}

/**
 * RED metrics per route: `http_requests_total` and `http_request_duration_seconds`, labelled by
 * method, route template (never the raw URL: bounded cardinality) and status.
 */
export function registerHttpMetrics(app: FastifyInstance, metrics: Metrics): void {
  const requests = metrics.counter({
    name: 'http_requests_total',
    help: 'HTTP requests served, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
  });
  const duration = metrics.histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  // Label lookups hash their values on every call; children are cached per label set instead.
  const children = new Map<
    string,
    { c: ReturnType<Counter['labels']>; h: ReturnType<Histogram['labels']> }
  >();
  app.addHook('onResponse', (request, reply, done) => {
    const config = request.routeOptions.config as MetricsRouteConfig | undefined;
    if (config?.metrics === false) return done();
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${route} ${reply.statusCode}`;
    let child = children.get(key);
    if (!child) {
      const labels = { method: request.method, route, status: String(reply.statusCode) };
      child = { c: requests.labels(labels), h: duration.labels(labels) };
      children.set(key, child);
    }
    child.c.inc();
    child.h.observe(reply.elapsedTime / 1000);
    done();
  });
}
