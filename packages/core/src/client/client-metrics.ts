import type client from 'prom-client';
import type { Metrics } from '../metrics/metrics.ts';

/** Final outcome of one client call (label `outcome` of `client_requests_total`). */
export type CallOutcome =
  | 'success'
  | 'client_error'
  | 'server_error'
  | 'unavailable'
  | 'timeout'
  | 'bad_response'
  | 'circuit_open'
  | 'no_instance'
  /** Anything else (e.g. a call after the service stopped). */
  | 'error';

/** The service client's series, registered once per service on `service.metrics`. */
export interface ClientMetrics {
  readonly circuitState: client.Gauge<'target'>;
  readonly requests: client.Counter<'target' | 'method' | 'outcome'>;
  readonly retries: client.Counter<'target'>;
  readonly duration: client.Histogram<'target'>;
}

export function createClientMetrics(metrics: Metrics): ClientMetrics {
  return {
    circuitState: metrics.gauge({
      name: 'client_circuit_state',
      help: 'Circuit breaker state per called service: 0 closed, 1 half-open, 2 open',
      labelNames: ['target'],
    }),
    requests: metrics.counter({
      name: 'client_requests_total',
      help: 'Calls to other services by final outcome (one per call, retries included)',
      labelNames: ['target', 'method', 'outcome'],
    }),
    retries: metrics.counter({
      name: 'client_retries_total',
      help: 'Retried attempts of calls to other services',
      labelNames: ['target'],
    }),
    duration: metrics.histogram({
      name: 'client_request_duration_seconds',
      help: 'Duration of calls to other services, retries and backoff included',
      labelNames: ['target'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
  };
}
