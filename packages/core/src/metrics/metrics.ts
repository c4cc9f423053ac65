import client from 'prom-client';

/** A service's metrics: its own prom-client registry (several services may share a process). */
export interface Metrics {
  readonly registry: client.Registry;
  /** A custom counter registered on this service's registry. */
  counter<L extends string>(config: client.CounterConfiguration<L>): client.Counter<L>;
  /** A custom histogram registered on this service's registry. */
  histogram<L extends string>(config: client.HistogramConfiguration<L>): client.Histogram<L>;
  /** A custom gauge registered on this service's registry. */
  gauge<L extends string>(config: client.GaugeConfiguration<L>): client.Gauge<L>;
  /** Prometheus text exposition of everything registered. */
  render(): Promise<string>;
}

const MISNAMED_DEFAULT_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * Creates a registry with Node process metrics and a `service` label on every series.
 *
 * @example
 * const orders = service.metrics.counter({ name: 'orders_placed_total', help: 'Orders placed' });
 * orders.inc();
 */
export function createMetrics(options: { service: string; processMetrics?: boolean }): Metrics {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service: options.service });
  if (options.processMetrics !== false) {
    client.collectDefaultMetrics({ register: registry });
    // prom-client exports these as gauges with a `_total` suffix, which Prometheus reserves for
    // counters (`promtool check metrics`); `sum(nodejs_active_handles)` etc. give the same totals.
    for (const name of MISNAMED_DEFAULT_GAUGES) registry.removeSingleMetric(name);
  }
  return {
    registry,
    counter: (config) => new client.Counter({ ...config, registers: [registry] }),
    histogram: (config) => new client.Histogram({ ...config, registers: [registry] }),
    gauge: (config) => new client.Gauge({ ...config, registers: [registry] }),
    render: () => registry.metrics(),
  };
}
