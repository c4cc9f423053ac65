import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, freePort } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The README's quick start, as a user runs it: `npm start` (`outrig dev --cwd examples/shop`)
// with the embedded PostgreSQL server and the postgres transport — no servers configured —
// reached through the gateway only, and the README's walkthrough run as written.
const OUTRIG = fileURLToPath(new URL('../../../packages/cli/src/bin.ts', import.meta.url));
const SHOP = fileURLToPath(new URL('..', import.meta.url));

let launcher: ChildProcess;
let output = '';
let home: string;
const ports = { auth: 0, order: 0, inventory: 0, payment: 0, notification: 0, gateway: 0, pg: 0 };
/** The development admin `npm start` seeds on embedded defaults (auth-service README). */
let adminToken = '';

beforeAll(async () => {
  // The embedded server runs as the `postgres` OS user when we are root: its folder must be traversable.
  home = mkdtempSync(join(tmpdir(), 'outrig-shop-'));
  chmodSync(home, 0o755);
  ports.auth = await freePort();
  ports.order = await freePort();
  ports.inventory = await freePort();
  ports.payment = await freePort();
  ports.notification = await freePort();
  ports.gateway = await freePort();
  ports.pg = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    OUTRIG_HOME: home,
    OUTRIG_PG_PORT: String(ports.pg),
    AUTH_SERVICE_PORT: String(ports.auth),
    ORDER_SERVICE_PORT: String(ports.order),
    INVENTORY_SERVICE_PORT: String(ports.inventory),
    PAYMENT_SERVICE_PORT: String(ports.payment),
    NOTIFICATION_SERVICE_PORT: String(ports.notification),
    GATEWAY_PORT: String(ports.gateway),
    LOG_LEVEL: 'warn',
  };
  for (const name of Object.keys(env)) {
    if (/^(DATABASE_URL|BUS_URL|REGISTRY_URL|JWT_|AUTH_CLIENT|SHOP_ADMIN_)/.test(name)) delete env[name];
  }
  launcher = spawn(process.execPath, [OUTRIG, 'dev', '--cwd', SHOP, '--start-timeout', '150'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  launcher.stdout!.on('data', (d) => (output += d));
  launcher.stderr!.on('data', (d) => (output += d));
  await eventually(
    'the system to start',
    async () => (output.includes('shop is running:') ? true : undefined),
    { timeoutMs: 240_000, context: () => output },
  );
  // Writes need an admin: log in as the seeded development admin, as the README shows.
  const login = await fetch(`${gateway()}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@shop.local', password: 'shop-admin-dev-password' }),
  });
  expect(login.status).toBe(200);
  adminToken = ((await login.json()) as { data: { accessToken: string } }).data.accessToken;
}, 300_000);

afterAll(async () => {
  if (launcher && launcher.exitCode === null) {
    const exited = new Promise((r) => launcher.once('exit', r));
    launcher.kill('SIGTERM');
    await exited;
  }
  rmSync(home, { recursive: true, force: true });
}, 60_000);

/** Everything goes through the gateway, as the README says. */
const gateway = () => `http://127.0.0.1:${ports.gateway}`;
type Listed = { eventId: string; type: string; subject: string; tenant: string };
const notifications = async (): Promise<Listed[]> => {
  const res = await fetch(`${gateway()}/api/v1/notifications?limit=500`, {
    headers: { authorization: `Bearer ${adminToken}` },
  });
  return ((await res.json()) as { data: Listed[] }).data;
};

async function createProduct(n: number): Promise<string> {
  const res = await fetch(`${gateway()}/api/v2/products`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({
      name: `Product ${n}`,
      sku: `SKU-${n}`,
      stock: n,
      price: { amount: 100 + n, currency: 'EUR' },
    }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { data: { id: string } }).data.id;
}

function notificationPid(): number {
  const row = output
    .split('\n')
    .filter((l) => /^\s+notification-service\s+\d+/.test(l))
    .pop();
  const restarted = [...output.matchAll(/notification-service restarted \(pid (\d+)\)/g)].pop();
  return Number(restarted?.[1] ?? row?.trim().split(/\s+/)[1]);
}

describe('the shop on embedded defaults (npm start)', () => {
  it('a created product becomes a notification', async () => {
    const started = Date.now();
    const id = await createProduct(1);
    const found = await eventually('the notification', async () =>
      (await notifications()).find((n) => n.subject === id && n.type === 'product.created'),
    );
    console.log(`notification visible ${Date.now() - started} ms after the POST`);
    expect(found.subject).toBe(id);
    // The admin's product, and so its notification, is in the admin's tenant.
    expect(found.tenant).toBe('default');
  });

  it("runs the README's walkthrough as written, through the gateway only", () => {
    const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
    const from = readme.indexOf('Try it, through the gateway only');
    const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(from))?.[1];
    expect(block).toBeDefined();
    const script = block!
      .replaceAll('127.0.0.1:10000', `127.0.0.1:${ports.gateway}`)
      .replaceAll('127.0.0.1:8004', `127.0.0.1:${ports.inventory}`);
    const run = spawnSync('bash', ['-e', '-c', script], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    // created as admin, then read back anonymously
    const created = JSON.parse(lines[0]!) as { data: { name: string; sku: string } };
    expect(created.data).toMatchObject({ name: 'Pen', sku: 'PEN-1' });
    const listed = JSON.parse(lines[1]!) as { data: { sku: string }[] };
    expect(listed.data.map((p) => p.sku)).toContain('PEN-1');
    expect(run.stdout).toMatch(/^deprecation: /m);
    expect(run.stdout).toMatch(/^location: \/api\/v2\/products/m);
    // the notification reached the admin's tenant; the new user's tenant sees none of it
    expect(run.stdout).toMatch(/"type":"product.created","subject":"[^"]+"/);
    expect(run.stdout).toContain('"email":"ada@example.com"');
    expect(run.stdout).toMatch(/^\{"data":\[\],/m);
    expect(run.stdout).toContain('"code":"FORBIDDEN"');
    expect(run.stdout).toContain('"code":"UNAUTHENTICATED"');
    expect(run.stdout).toMatch(/^outbox_published_total\{service="inventory-service"\} [1-9]/m);
  });

  it('events created while notification-service is down are notified exactly once after it comes back', async () => {
    const pid = notificationPid();
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    await eventually('notification-service to be down', async () => {
      try {
        await fetch(`http://127.0.0.1:${ports.notification}/health`);
        return undefined;
      } catch {
        return true;
      }
    });
    const ids: string[] = [];
    for (let n = 2; n <= 11; n++) ids.push(await createProduct(n));
    const all = await eventually(
      'every notification after the restart',
      async () => {
        const list = await notifications();
        return ids.every((id) => list.some((n) => n.subject === id)) ? list : undefined;
      },
      { timeoutMs: 60_000 },
    );
    // Let any redelivery arrive, then count: exactly one notification per event.
    await new Promise((r) => setTimeout(r, 1500));
    const final = await notifications();
    expect(final.length).toBeGreaterThanOrEqual(all.length);
    const eventIds = final.map((n) => n.eventId);
    expect(new Set(eventIds).size).toBe(eventIds.length);
    for (const id of ids) expect(final.filter((n) => n.subject === id)).toHaveLength(1);
    expect(output).toContain('notification-service restarted');
  }, 90_000);
});
