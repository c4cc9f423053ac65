import type { Metrics } from '@outrig/core';
import type { ProxyObserver } from '../proxy/proxy-call.ts';
import { CIRCUIT_STATES } from '../upstream/circuit-breaker.ts';
import type { UpstreamEvents } from '../upstream/upstream.ts';

/**
 * The gateway's own series, next to the kit's RED metrics per route:
 * `gateway_upstream_circuit_state{upstream}` (0 closed, 1 half-open, 2 open),
 * `gateway_upstream_instances{upstream}`, `gateway_upstream_ejections_total{upstream}`,
 * `gateway_upstream_retries_total{upstream}` and `gateway_upstream_failures_total{upstream,reason}`
 * (`connect`, `timeout`, `status` = 502/503/504). Only failures, retries and state changes touch
 * them: a successful request costs nothing here.
 */
export function gatewayMetrics(metrics: Metrics): { events: UpstreamEvents; observer: ProxyObserver } {
  const circuit = metrics.gauge({
    name: 'gateway_upstream_circuit_state',
    help: 'Circuit breaker per upstream service: 0 closed, 1 half-open, 2 open',
    labelNames: ['upstream'] as const,
  });
  const instances = metrics.gauge({
    name: 'gateway_upstream_instances',
    help: 'Healthy instances the registry lists per upstream service',
    labelNames: ['upstream'] as const,
  });
  const ejections = metrics.counter({
    name: 'gateway_upstream_ejections_total',
    help: 'Instances taken out of rotation after consecutive failures (outlier ejection)',
    labelNames: ['upstream'] as const,
  });
  const retries = metrics.counter({
    name: 'gateway_upstream_retries_total',
    help: 'Repeatable requests sent again after a failed attempt',
    labelNames: ['upstream'] as const,
  });
  const failures = metrics.counter({
    name: 'gateway_upstream_failures_total',
    help: 'Failed upstream attempts by reason: connect, timeout, status (502/503/504)',
    labelNames: ['upstream', 'reason'] as const,
  });
  return {
    events: {
      circuit: (upstream, state) => circuit.set({ upstream }, CIRCUIT_STATES[state]),
      ejected: (upstream) => ejections.inc({ upstream }),
      instances: (upstream, count) => instances.set({ upstream }, count),
    },
    observer: {
      retry: (upstream) => retries.inc({ upstream }),
      failure: (upstream, reason) => failures.inc({ upstream, reason }),
    },
  };
}
