// Regenerates the screenshots of docs/guides/dashboard.md: starts the shop under `outrig dev`
// (a temporary OUTRIG_HOME, free ports), drives Debian's Chromium through each view at 1280×800
// and writes docs/guides/images/dashboard-<view>.png.
//
//   npm run docs:dashboard-screenshots
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { launchChromium, startDevShop } from '../packages/cli/test/support/dev-shop.ts';

const OUT = path.join(import.meta.dirname, '..', 'docs', 'guides', 'images');
await mkdir(OUT, { recursive: true });
const shop = await startDevShop();
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(60_000);
  const shot = async (view: string) => {
    await page.waitForTimeout(1500); // let the live view settle (refreshes, fonts)
    await page.screenshot({ path: path.join(OUT, `dashboard-${view}.png`) });
    console.log(`docs/guides/images/dashboard-${view}.png`);
  };
  await page.goto(`${shop.dashboard}/#api`);
  await page.getByLabel('Email').fill('admin@shop.local');
  await page.getByLabel('Password').fill('shop-admin-dev-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText('Logged in as').waitFor();
  await page.getByLabel('Filter').fill('products');
  await page
    .locator('#operations button', { hasText: /POST\s*\/api\/v2\/products$/ })
    .first()
    .click();
  for (const [i, name] of ['Desk lamp', 'Reading chair'].entries()) {
    const body = { name, sku: `DOC-${i}`, stock: 5 + i, price: { amount: 4900 + i * 1000, currency: 'EUR' } };
    await page.getByLabel('Body (JSON)').fill(JSON.stringify(body, null, 2));
    await page.getByRole('button', { name: 'Send through the gateway' }).click();
    await page.locator('#response .badge', { hasText: '201' }).waitFor();
  }
  await shot('api-explorer');
  await page.locator('#open-trace').click();
  await page.locator('#trace-detail li[data-service="notification-service"]').first().waitFor();
  await page.locator('#trace-detail .waterfall button', { hasText: 'relay.publish' }).first().click();
  await shot('traces');
  await page.getByRole('link', { name: 'Events', exact: true }).click();
  await page.locator('#bus tr[data-type="product.created"]').first().waitFor();
  await shot('events');
  await page.getByRole('link', { name: 'Logs', exact: true }).click();
  await shot('logs');
  await page.getByRole('link', { name: 'System', exact: true }).click();
  await page.locator('#services tr[data-state="up"]').first().waitFor();
  await page.waitForTimeout(4000); // two scrapes: request rates
  await shot('system');
} finally {
  await browser.close();
  await shop.stop();
}
