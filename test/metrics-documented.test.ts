import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Service } from '@outrig/core';
import { createGateway } from '@outrig/gateway';
import { binaryAvailable, serverAvailable } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../examples/shop/test/support/tokens.ts';
import { startWiredShop, type WiredShop } from '../examples/shop/test/support/wired-shop.ts';

// docs/metrics.md against what a fully wired service really serves: inventory-service (database,
// outbox relay) and notification-service (database, relay, a consumer, one service-client call)
// on the postgres bus, and a gateway in front of inventory-service.

const root = join(import.meta.dirname, '..');
/** Prom-client's default process metrics: documented as a group; only stale entries fail. */
const PROCESS = /^(process|nodejs)_/;
/** Series Prometheus adds itself: documented, never served by a service. */
const FROM_PROMETHEUS = new Set(['up']);
/**
 * Served only by services that run sagas or projections, which the wired shop below does not
 * (yet): packages/sagas/test/saga-observability.test.ts checks they are served and documented.
 */
const SAGAS_ONLY = /^(saga|projection)_/;

/** `name → type` of every row `| \`name\` | type |` in docs/metrics.md. */
function documented(): Map<string, string> {
  const doc = readFileSync(join(root, 'docs', 'metrics.md'), 'utf8');
  const rows = doc.matchAll(/^\| `([a-z_:][a-z0-9_:]*)` \| (counter|gauge|histogram|summary) \|/gm);
  return new Map([...rows].map((m) => [m[1]!, m[2]!]));
}

/** `name → type` of every `# TYPE` line of a scrape. */
function families(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

const hasPg = await serverAvailable('postgres');
const hasPromtool = binaryAvailable('promtool');
const scrapes = new Map<string, string>();
let shop: WiredShop | undefined;
let gateway: Service | undefined;

beforeAll(async () => {
  if (!hasPg) return;
  shop = await startWiredShop('metrics', {
    notificationEnv: (inventoryUrl) => ({ INVENTORY_SERVICE_URL: inventoryUrl }),
  });
  const { inventory, notification, inventoryUrl, issuer } = shop;
  // One service-to-service call, so that the client families exist too.
  await notification.client('inventory-service').get('/api/v2/products');
  // And one call through a gateway, for the gateway_upstream_* families.
  gateway = await createGateway({
    routes: [{ path: '/api/*/products', service: 'inventory-service', auth: 'optional' }],
    env: {
      ...issuer.env,
      LOG_LEVEL: 'warn',
      SERVICE_PORT: '0',
      REGISTRY_URL: `static:inventory-service=${inventoryUrl}`,
    },
  });
  expect((await gateway.app.inject({ url: '/api/v2/products' })).statusCode).toBe(200);

  // One event end to end, so that labelled families (by type, outcome, route) have series too.
  const created = await inventory.app.inject({
    method: 'POST',
    url: '/api/v2/products',
    payload: { name: 'Pen', sku: 'PEN-1', stock: 5, price: { amount: 199, currency: 'EUR' } },
    headers: bearer(await issuer.admin()),
  });
  expect(created.statusCode).toBe(201);
  const reader = bearer(await issuer.user('default'));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await notification.app.inject({ url: '/api/v1/notifications', headers: reader });
    if ((res.json() as { data: unknown[] }).data.length > 0) break;
    if (Date.now() > deadline) throw new Error('the product.created notification never arrived');
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const service of [inventory, notification, gateway]) {
    scrapes.set(service.name, (await service.app.inject({ url: '/metrics' })).body);
  }
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await shop?.close();
}, 60_000);

describe.skipIf(!hasPg)('docs/metrics.md', () => {
  it('lists every metric family a fully wired service serves, with its type', () => {
    const doc = documented();
    const served = new Map<string, string>();
    for (const text of scrapes.values()) for (const [name, type] of families(text)) served.set(name, type);
    // The wiring really happened: relay, consumer and handler series are there.
    expect(scrapes.get('notification-service')).toMatch(
      /events_consumed_total\{type="product\.created",outcome="handled",service="notification-service"\} 1/,
    );
    expect(scrapes.get('inventory-service')).toMatch(
      /outbox_published_total\{service="inventory-service"\} 1/,
    );

    const kit = [...served].filter(([name]) => !PROCESS.test(name));
    expect(kit.length).toBeGreaterThan(10);
    const missing = kit.filter(([name]) => !doc.has(name)).map(([name, type]) => `${name} (${type})`);
    expect(missing, 'metric families served but not in docs/metrics.md').toEqual([]);
    const wrongType = kit
      .filter(([name, type]) => doc.get(name) !== type)
      .map(([name, type]) => `${name}: served as ${type}, documented as ${doc.get(name)}`);
    expect(wrongType).toEqual([]);
    const stale = [...doc.keys()].filter(
      (name) => !served.has(name) && !FROM_PROMETHEUS.has(name) && !SAGAS_ONLY.test(name),
    );
    expect(stale, 'metrics in docs/metrics.md that no service serves').toEqual([]);
  });

  it.skipIf(!hasPromtool)('passes promtool check metrics (Prometheus naming conventions)', () => {
    expect(scrapes.size).toBe(3);
    for (const [name, text] of scrapes) {
      const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(`${result.stdout}${result.stderr}`, `${name}: promtool check metrics`).toBe('');
      expect(result.status).toBe(0);
    }
  });
});
