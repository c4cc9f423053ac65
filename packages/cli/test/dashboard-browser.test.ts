/**
 * The dashboard in a real browser: the shop under `outrig dev` (embedded PostgreSQL, postgres
 * transport), Debian's Chromium driven by playwright-core. Log in, create a product from the API
 * explorer, watch product.created arrive live, open its trace across services, stop
 * notification-service and see it go red and the lag grow, start it and see the lag drain, and
 * check every view with axe-core (no serious or critical violations).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createPgClient, resolveDatabaseUrl } from '@outrig/db';
import { eventually } from '@outrig/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, type DevShop, launchChromium, startDevShop } from './support/dev-shop.ts';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI === 'true') {
  throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/test-servers.sh does)`);
}

/** expect.poll with room for a loaded machine (its default gives up after a second). */
const until = <T>(fn: () => T | Promise<T>, options: { timeout?: number } = {}) =>
  expect.poll(fn, { timeout: 60_000, interval: 250, ...options });

describe.skipIf(!haveChromium)(
  'the dashboard in Chromium (the shop under outrig dev)',
  { timeout: 240_000 },
  () => {
    let shop: DevShop;
    let home: string;
    let browser: Browser;
    let page: Page;
    let dashboard = '';

    beforeAll(async () => {
      shop = await startDevShop();
      ({ dashboard, home } = shop);
      expect(shop.output()).toContain(`Dashboard (logs, traces, events, API explorer): ${dashboard}`);
      browser = await launchChromium();
      // bypassCSP: axe-core is injected into the page, which the dashboard's CSP would refuse.
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
      context.setDefaultTimeout(60_000);
      page = await context.newPage();
      await page.goto(dashboard);
    }, 300_000);

    afterAll(async () => {
      await browser?.close();
      await shop?.stop();
    }, 60_000);

    /** axe-core on the current view: no serious or critical violations. */
    async function accessible(view: string): Promise<void> {
      // Runs in the page: no DOM types here, so the page's globals are reached through globalThis.
      type Axe = {
        run(
          ctx: unknown,
        ): Promise<{ violations: { id: string; impact: string; nodes: { target: unknown }[] }[] }>;
      };
      if (!(await page.evaluate(() => (globalThis as unknown as { axe?: Axe }).axe !== undefined)))
        await page.addScriptTag({ path: AXE });
      const violations = await page.evaluate(async () => {
        const g = globalThis as unknown as { axe: Axe; document: unknown };
        const result = await g.axe.run(g.document);
        return result.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          targets: v.nodes.map((n) => n.target).slice(0, 3),
        }));
      });
      const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(serious, `${view}: ${JSON.stringify(serious)}`).toEqual([]);
    }

    const row = (service: string) => page.locator(`#services tr[data-service="${service}"]`);

    it('shows every service up, with its readiness checks and versions', async () => {
      for (const s of ['auth-service', 'inventory-service', 'notification-service', 'gateway'])
        await until(() => row(s).getAttribute('data-state'), { timeout: 60_000 }).toBe('up');
      await until(() => row('inventory-service').innerText()).toMatch(/v1 deprecated.*v2 current/s);
      expect(await row('inventory-service').innerText()).toContain('database: ok');
      expect(await row('inventory-service').innerText()).toContain('1 instance registered');
      await accessible('System');
    });

    it('logs in, creates a product from the API explorer, sees product.created live and its trace', async () => {
      // A second tab on the Events view before the product exists: the event must arrive live.
      const events = await page.context().newPage();
      await events.goto(`${dashboard}/#events`);
      await events.locator('#bus tbody').waitFor();

      await page.getByRole('link', { name: 'API explorer', exact: true }).click();
      await page.getByLabel('Email').fill('admin@shop.local');
      await page.getByLabel('Password').fill('shop-admin-dev-password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await until(() => page.locator('#login-state').innerText()).toContain('Logged in as admin@shop.local');
      await accessible('API explorer');

      await page.getByLabel('Filter').fill('products');
      const create = page.locator('#operations button', { hasText: /POST\s*\/api\/v2\/products$/ });
      await until(() => create.count(), { timeout: 30_000 }).toBeGreaterThan(0);
      await create.first().click();
      expect(await page.locator('#request select[name="method"]').inputValue()).toBe('POST');
      await page.getByLabel('Body (JSON)').fill(
        JSON.stringify({
          name: 'Browser lamp',
          sku: 'BROWSER-1',
          stock: 3,
          price: { amount: 1999, currency: 'EUR' },
        }),
      );
      await page.getByRole('button', { name: 'Send through the gateway' }).click();
      await until(() => page.locator('#response .badge').first().innerText()).toBe('201');
      const body = JSON.parse(await page.locator('#response pre').innerText()) as { data: { id: string } };

      const created = events.locator(`#bus tr[data-type="product.created"]`);
      await until(() => created.count(), { timeout: 60_000 }).toBeGreaterThan(0);
      expect(await created.first().innerText()).toContain(body.data.id);
      await events.close();

      // The System view's map: the consumer group on its topic, the calls seen in the traces.
      await page.getByRole('link', { name: 'System', exact: true }).click();
      await until(() => page.locator('#edges').innerText()).toContain(
        'notification-service consumes product.events',
      );
      await until(() => page.locator('#edges').innerText()).toMatch(
        /inventory-service → notification-service event/,
      );
      await page.getByRole('link', { name: 'API explorer', exact: true }).click();

      await page.locator('#open-trace').click();
      const waterfall = page.locator('#trace-detail .waterfall');
      for (const service of ['gateway', 'inventory-service', 'notification-service']) {
        await until(() => waterfall.locator(`li[data-service="${service}"]`).count(), {
          timeout: 60_000,
        }).toBeGreaterThan(0);
      }
      // The async hop: the outbox write, the relay's publish and the consume in one waterfall.
      const names = await waterfall.innerText();
      expect(names).toMatch(/outbox\.write[\s\S]*relay\.publish[\s\S]*consume/);
      await page.locator('#trace-detail .waterfall button', { hasText: 'relay.publish' }).first().click();
      await until(() => page.locator('#span-detail').innerText()).toContain('producer');
      await accessible('Traces');
    });

    it('shows notification-service red when stopped, the lag growing, and draining once started', async () => {
      await page.getByRole('link', { name: 'System', exact: true }).click();
      await page.getByRole('button', { name: 'Stop notification-service' }).click();
      await until(() => row('notification-service').getAttribute('data-state'), { timeout: 60_000 }).toBe(
        'stopped',
      );
      expect(await row('notification-service').getAttribute('class')).toContain('bad');

      // Another product while nobody consumes: the group's lag grows.
      await page.getByRole('link', { name: 'API explorer', exact: true }).click();
      await page.locator('#request select[name="method"]').selectOption('POST');
      await page.getByLabel('Path').fill('/api/v2/products');
      await page.getByLabel('Body (JSON)').fill(
        JSON.stringify({
          name: 'Lagging lamp',
          sku: 'BROWSER-2',
          stock: 1,
          price: { amount: 5, currency: 'EUR' },
        }),
      );
      await page.getByRole('button', { name: 'Send through the gateway' }).click();
      await until(() => page.locator('#response .badge').first().innerText()).toBe('201');

      await page.getByRole('link', { name: 'Events', exact: true }).click();
      const lag = page.locator(
        '#consumers tr[data-group="notification-service"][data-topic="product.events"] .lag',
      );
      await until(async () => Number(await lag.innerText().catch(() => '0')), {
        timeout: 60_000,
      }).toBeGreaterThan(0);
      await accessible('Events');

      await page.getByRole('link', { name: 'System', exact: true }).click();
      await page.getByRole('button', { name: 'Start notification-service' }).click();
      await until(() => row('notification-service').getAttribute('data-state'), { timeout: 120_000 }).toBe(
        'up',
      );
      await page.getByRole('link', { name: 'Events', exact: true }).click();
      await until(async () => Number(await lag.innerText().catch(() => '-1')), { timeout: 120_000 }).toBe(0);
    });

    it('retries a parked event from the Events view: the relay publishes it again', async () => {
      // Park the latest product event as a relay does after its last attempt.
      const db = await resolveDatabaseUrl({ serviceName: 'inventory-service', rootDir: home });
      const sql = createPgClient({ url: db.url, max: 1 });
      try {
        const { rows } = await sql.query<{ id: string }>(
          `UPDATE outbox SET state = 'parked', attempts = 10, last_error = 'broker refused (parked by the test)'
          WHERE id = (SELECT id FROM outbox WHERE topic = 'product.events' ORDER BY seq DESC LIMIT 1) RETURNING id::text`,
        );
        const id = rows[0]!.id;
        await page.getByRole('link', { name: 'Events', exact: true }).click();
        const parked = page.locator(`#outboxes [data-service="inventory-service"] tr[data-id="${id}"]`);
        await until(() => parked.innerText(), { timeout: 30_000 }).toContain('broker refused');
        await accessible('Events with a parked event');
        await parked.getByRole('button', { name: 'Retry' }).click();
        await until(() => parked.count(), { timeout: 30_000 }).toBe(0);
        await eventually('the retried event to be delivered', async () => {
          const { rows: state } = await sql.query<{ state: string }>(
            'SELECT state FROM outbox WHERE id = $1',
            [id],
          );
          return state[0]?.state === 'delivered' ? true : undefined;
        });
      } finally {
        await sql.close();
        await db.stop();
      }
    });

    it('lists the services that run sagas: order-service (the order saga)', async () => {
      await page.getByRole('link', { name: 'Sagas', exact: true }).click();
      await until(() => page.locator('#sagas .card[data-service="order-service"]').count()).toBe(1);
      await expect(page.locator('#sagas').innerText()).resolves.not.toContain('No service runs sagas');
      await accessible('Sagas');
    });

    it('filters the logs by service', async () => {
      await page.getByRole('link', { name: 'Logs', exact: true }).click();
      await until(() => page.locator('#logs li').count(), { timeout: 30_000 }).toBeGreaterThan(1);
      await page.locator('#log-filter select[name="service"]').selectOption('inventory-service');
      await until(async () => new Set(await page.locator('#logs li .svc').allInnerTexts())).toEqual(
        new Set(['inventory-service']),
      );
      await accessible('Logs');
    });
  },
);
