import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryAvailable } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrometheusProcess, startPrometheus } from '../ops/prometheus/prometheus-process.ts';
import { documentedMetrics, metricNames } from '../ops/promql-metrics.ts';

// The Grafana dashboard of the ops pack: a well-formed dashboard JSON model whose every query
// parses in a real Prometheus and reads only metrics that docs/metrics.md lists.

interface Target {
  refId: string;
  expr: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; definition?: string }[] };
}

/** Every panel uses the dashboard's data source variable, so it works with any Prometheus. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
const DATASOURCE_VARIABLE = '${datasource}';

const dashboard = JSON.parse(
  readFileSync(new URL('../ops/grafana/shop-dashboard.json', import.meta.url), 'utf8'),
) as Dashboard;
const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

/** Grafana's variables, replaced the way Grafana would for "All" services. */
function interpolate(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '1h')
    .replaceAll('$service', '.+');
}

describe('ops pack: Grafana dashboard', () => {
  it('is a dashboard model Grafana imports: schemaVersion ≥ 39, unique ids, panels on the 24-column grid', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    expect(dashboard.title).toBeTruthy();
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      expect(p.gridPos.h, p.title).toBeGreaterThan(0);
      if (p.type === 'row') continue;
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: DATASOURCE_VARIABLE });
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      const refIds = p.targets!.map((t) => t.refId);
      expect(new Set(refIds).size, p.title).toBe(refIds.length);
    }
    const variables = dashboard.templating.list.map((v) => v.name);
    expect(variables).toEqual(['datasource', 'service']);
  });

  it('has RED, outbox, consumer and saga panels', () => {
    const rows = dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title);
    expect(rows).toEqual(
      expect.arrayContaining(['RED per service', 'Outbox', 'Consumers', 'Sagas and read models']),
    );
    const used = new Set(queries.flatMap((q) => metricNames(q.expr)));
    for (const metric of [
      'http_requests_total',
      'http_request_duration_seconds_bucket',
      'outbox_pending',
      'outbox_oldest_pending_age_seconds',
      'outbox_published_total',
      'events_consumed_total',
      'event_handler_duration_seconds_bucket',
      'events_dead_lettered_total',
      'saga_instances',
      'saga_oldest_running_age_seconds',
      'projection_lag_events',
    ]) {
      expect(used, metric).toContain(metric);
    }
  });

  it('queries only metrics listed in docs/metrics.md', () => {
    const documented = documentedMetrics();
    for (const q of queries) {
      const unknown = metricNames(q.expr).filter((m) => !documented.has(m));
      expect(unknown, `${q.panel}: ${q.expr}`).toEqual([]);
    }
    const variable = dashboard.templating.list.find((v) => v.name === 'service')!;
    const metric = variable.definition?.match(/^label_values\((\w+), service\)$/)?.[1];
    expect(metric && documented.has(metric), variable.definition).toBe(true);
  });
});

const hasPrometheus = binaryAvailable('prometheus');

describe.skipIf(!hasPrometheus)('ops pack: Grafana dashboard queries in a real Prometheus', () => {
  let prometheus: PrometheusProcess | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outrig-dashboard-'));
    writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify({ global: { scrape_interval: '1m' } }));
    prometheus = await startPrometheus({ configFile: join(dir, 'prometheus.yml') });
  });
  afterAll(async () => {
    await prometheus?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every panel query parses (Prometheus answers success, not bad_data)', async () => {
    expect(queries.length).toBeGreaterThan(10);
    const failures: string[] = [];
    for (const q of queries) {
      const result = await prometheus!.query(interpolate(q.expr));
      if (result.status !== 'success') failures.push(`${q.panel} ${q.refId}: ${result.error}`);
    }
    expect(failures).toEqual([]);
    // The check can fail: a broken expression is reported as bad_data.
    const broken = await prometheus!.query('sum by (service (rate(http_requests_total[1m]))');
    expect(broken.errorType).toBe('bad_data');
  });
});
