import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binaryAvailable, eventually, serverAvailable } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PrometheusProcess,
  type PromSample,
  startPrometheus,
} from '../ops/prometheus/prometheus-process.ts';
import { renderTargets, scrapeTargets } from '../ops/prometheus/targets.ts';
import { shopServices as system } from './support/shop-services.ts';
import { bearer, type TestIssuer } from './support/tokens.ts';
import { startWiredShop, type WiredShop } from './support/wired-shop.ts';

// The ops pack's prometheus.yml and alerts.yml, loaded by a REAL Prometheus that scrapes
// inventory-service and notification-service (own databases, postgres bus) every second.

const OPS = fileURLToPath(new URL('../ops/prometheus/', import.meta.url));

const hasPg = await serverAvailable('postgres');
const hasPrometheus = binaryAvailable('prometheus');

let shop: WiredShop | undefined;
const ports = new Map<string, number>();
let prometheus: PrometheusProcess | undefined;
let dir: string | undefined;
/** Signs the tokens the services verify: the POST needs an admin, the list a tenant's user. */
let issuer: TestIssuer | undefined;

/** Polls every 250 ms; a timeout shows Prometheus' log. */
function untilSeen<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  return eventually(what, fn, { intervalMs: 250, context: () => prometheus?.log() ?? '' });
}

/** Series of an instant query, or undefined while there are none (or none matching). */
async function series(expr: string, match: (s: PromSample) => boolean = () => true) {
  const result = await prometheus!.query(expr);
  expect(result.status, `${expr}: ${result.error}`).toBe('success');
  const found = result.data!.result.filter(match);
  return found.length > 0 ? found : undefined;
}

beforeAll(async () => {
  if (!hasPg || !hasPrometheus) return;
  shop = await startWiredShop('prom');
  issuer = shop.issuer;
  ports.set('inventory-service', Number(new URL(shop.inventoryUrl).port));
  ports.set('notification-service', Number(new URL(shop.notificationUrl).port));

  // The real config, at a 1 s scrape and evaluation interval, with file_sd targets for these ports.
  dir = mkdtempSync(join(tmpdir(), 'outrig-prom-scrape-'));
  const config = readFileSync(join(OPS, 'prometheus.yml'), 'utf8');
  const fast = config
    .replace('scrape_interval: 15s', 'scrape_interval: 1s')
    .replace('evaluation_interval: 15s', 'evaluation_interval: 1s');
  expect(fast.match(/_interval: 1s/g)).toHaveLength(2);
  writeFileSync(join(dir, 'prometheus.yml'), fast);
  copyFileSync(join(OPS, 'alerts.yml'), join(dir, 'alerts.yml'));
  mkdirSync(join(dir, 'targets'));
  const specs = system.filter((s) => ports.has(s.name));
  expect(specs.map((s) => s.name).sort()).toEqual(['inventory-service', 'notification-service']);
  const targets = scrapeTargets(specs, { port: (spec) => ports.get(spec.name)! });
  writeFileSync(join(dir, 'targets', 'shop.json'), renderTargets(targets));
  prometheus = await startPrometheus({ configFile: join(dir, 'prometheus.yml') });
}, 90_000);

afterAll(async () => {
  await prometheus?.stop();
  await shop?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe.skipIf(!hasPg || !hasPrometheus)('a real Prometheus scraping the shop (ops pack config)', () => {
  it('sees http_requests_total and outbox_published_total with job, instance and service labels', async () => {
    const inventory = `http://127.0.0.1:${ports.get('inventory-service')}`;
    const notification = `http://127.0.0.1:${ports.get('notification-service')}`;
    const created = await fetch(`${inventory}/api/v2/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(await issuer!.admin()) },
      body: JSON.stringify({ name: 'Pen', sku: 'PEN-1', stock: 5, price: { amount: 199, currency: 'EUR' } }),
    });
    expect(created.status).toBe(201);
    const reader = bearer(await issuer!.user('default'));
    await untilSeen('the notification', async () => {
      const res = await fetch(`${notification}/api/v1/notifications`, { headers: reader });
      return ((await res.json()) as { data: unknown[] }).data.length > 0 ? true : undefined;
    });

    const [post] = await untilSeen('http_requests_total of the POST in Prometheus', () =>
      series(
        'http_requests_total{job="inventory-service",route="/api/v2/products",method="POST",status="201"}',
        (s) => Number(s.value[1]) >= 1,
      ),
    );
    expect(post!.metric).toMatchObject({
      __name__: 'http_requests_total',
      job: 'inventory-service',
      instance: `127.0.0.1:${ports.get('inventory-service')}`,
      service: 'inventory-service',
    });

    const [published] = await untilSeen('outbox_published_total ≥ 1 in Prometheus', () =>
      series('outbox_published_total{job="inventory-service"}', (s) => Number(s.value[1]) >= 1),
    );
    expect(published!.metric).toMatchObject({
      job: 'inventory-service',
      instance: `127.0.0.1:${ports.get('inventory-service')}`,
      service: 'inventory-service',
    });

    const [listed] = await untilSeen('http_requests_total of notification-service', () =>
      series('http_requests_total{job="notification-service",route="/api/v1/notifications",status="200"}'),
    );
    expect(listed!.metric).toMatchObject({
      instance: `127.0.0.1:${ports.get('notification-service')}`,
      service: 'notification-service',
    });
    const [consumed] = await untilSeen('events_consumed_total of notification-service', () =>
      series('events_consumed_total{job="notification-service",type="product.created",outcome="handled"}'),
    );
    expect(Number(consumed!.value[1])).toBe(1);
  });

  it('scrapes both services successfully (up = 1) and evaluates every alert rule without error', async () => {
    const up = await untilSeen('both targets up', () =>
      series('up == 1').then((s) => (s && s.length === 2 ? s : undefined)),
    );
    expect(up.map((s) => s.metric.job).sort()).toEqual(['inventory-service', 'notification-service']);

    type Rules = { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
    const rules = await untilSeen('every rule evaluated', async () => {
      const all = (await prometheus!.api<Rules>('/api/v1/rules')).data.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : undefined;
    });
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    expect(rules.map((r) => r.name)).toContain('OutboxBacklogOld');
    // A healthy shop raises nothing, not even pending. (p99 latency left out: on a loaded test
    // machine one cold first request may well take over a second.)
    const alerts = await prometheus!.api<{ data: { alerts: { labels: { alertname: string } }[] } }>(
      '/api/v1/alerts',
    );
    const raised = alerts.data.alerts.map((a) => a.labels.alertname);
    expect(raised.filter((name) => name !== 'HttpHighLatencyP99')).toEqual([]);
  });
});
