import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPgClient, type SqlClient } from '@outrig/db';
import { eventually, freePort } from '@outrig/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue #12, item 4: the order saga of the reference system, as a user runs it — `npm start`
// (`outrig dev --cwd examples/shop`, every service its own process, embedded PostgreSQL, the
// postgres transport), reached through the gateway only. Orders confirmed, rejected by a
// decline and by a payment timeout (the fake provider told to stop answering), tenants
// isolated, errors in the envelope, and the stock invariant checked in the services' databases.
const OUTRIG = fileURLToPath(new URL('../../../packages/cli/src/bin.ts', import.meta.url));
const SHOP = fileURLToPath(new URL('..', import.meta.url));
const SERVICES = [
  'auth-service',
  'order-service',
  'inventory-service',
  'payment-service',
  'notification-service',
  'gateway',
];

let launcher: ChildProcess;
let output = '';
let home: string;
const ports = new Map<string, number>();
let pgPort = 0;
let adminToken = '';
let inventoryDb: SqlClient;
let orderDb: SqlClient;

const gateway = () => `http://127.0.0.1:${ports.get('gateway')}`;
// biome-ignore lint/suspicious/noExplicitAny: answers of several routes, read field by field
type Json = { data?: any; error?: { code: string; message: string; details?: unknown } };

async function call(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${gateway()}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
}

async function product(name: string, stock: number, amount: number): Promise<string> {
  const res = await call('POST', '/api/v2/products', adminToken, {
    name,
    sku: `${name.toUpperCase()}-${Math.random().toString(36).slice(2, 8)}`,
    stock,
    price: { amount, currency: 'EUR' },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.data.id;
}

const stockOf = async (id: string) => (await call('GET', `/api/v2/products/${id}`)).body.data.stock as number;

async function placeOrder(token: string, items: { productId: string; quantity: number }[]) {
  const res = await call('POST', '/api/v1/orders', token, { items });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect(res.body.data.status).toBe('pending');
  return res.body.data as { id: string; total: number };
}

/** The order once its saga has finished (the order confirmed or rejected, the saga's last reply recorded). */
async function settled(id: string, token = adminToken) {
  return eventually(
    `order ${id}'s saga to finish`,
    async () => {
      const res = await call('GET', `/api/v1/orders/${id}`, token);
      const order = res.body.data;
      return res.status === 200 && ['completed', 'compensated'].includes(order?.saga?.status)
        ? order
        : undefined;
    },
    { timeoutMs: 90_000, context: () => output.slice(-4000) },
  );
}

/** The pid of a service: from the launcher's table, or its latest restart. */
function pidOf(service: string): number {
  const row = output
    .split('\n')
    .filter((l) => new RegExp(`^\\s+${service}\\s+\\d+`).test(l))
    .pop();
  const restarted = [...output.matchAll(new RegExp(`${service} restarted \\(pid (\\d+)\\)`, 'g'))].pop();
  return Number(restarted?.[1] ?? row?.trim().split(/\s+/)[1]);
}

/** The stock invariant: what inventory holds for orders equals what pending orders hold. */
async function invariant() {
  const held = await inventoryDb.query<{ n: string }>(
    `SELECT coalesce(sum(l.quantity), 0)::text AS n FROM stock_reservation_lines l
     JOIN stock_reservations r USING (order_id) WHERE r.status = 'held'`,
  );
  const pending = await orderDb.query<{ n: string }>(
    `SELECT coalesce(sum(l.quantity), 0)::text AS n FROM order_lines l JOIN orders o ON o.id = l.order_id
     WHERE o.status = 'pending'`,
  );
  const negative = await inventoryDb.query('SELECT id FROM products WHERE stock < 0');
  return { held: Number(held.rows[0]!.n), pending: Number(pending.rows[0]!.n), negative: negative.rowCount };
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'outrig-orders-'));
  chmodSync(home, 0o755);
  for (const name of SERVICES) ports.set(name, await freePort());
  pgPort = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    OUTRIG_HOME: home,
    OUTRIG_PG_PORT: String(pgPort),
    LOG_LEVEL: 'warn',
    // A silent payment provider makes the saga time out after this long (default 30 s).
    ORDER_PAYMENT_TIMEOUT_MS: '20000',
  };
  for (const [name, port] of ports) env[`${name.toUpperCase().replace(/-/g, '_')}_PORT`] = String(port);
  for (const name of Object.keys(env)) {
    if (/^(DATABASE_URL|BUS_URL|REGISTRY_URL|JWT_|AUTH_CLIENT|SHOP_ADMIN_|PAYMENT_)/.test(name))
      delete env[name];
    if (/_DATABASE_URL$/.test(name)) delete env[name];
  }
  launcher = spawn(process.execPath, [OUTRIG, 'dev', '--cwd', SHOP, '--start-timeout', '240'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  launcher.stdout!.on('data', (d) => (output += d));
  launcher.stderr!.on('data', (d) => (output += d));
  await eventually(
    'the system to start',
    async () => (output.includes('shop is running:') ? true : undefined),
    {
      timeoutMs: 330_000,
      context: () => output,
    },
  );
  const login = await call('POST', '/api/v1/auth/login', undefined, {
    email: 'admin@shop.local',
    password: 'shop-admin-dev-password',
  });
  expect(login.status).toBe(200);
  adminToken = login.body.data.accessToken;
  const db = (name: string) =>
    createPgClient({ url: `postgres://postgres:outrig@127.0.0.1:${pgPort}/${name}`, max: 2 });
  inventoryDb = db('inventory_service');
  orderDb = db('order_service');
}, 400_000);

afterAll(async () => {
  await inventoryDb?.close();
  await orderDb?.close();
  if (launcher && launcher.exitCode === null) {
    const exited = new Promise((r) => launcher.once('exit', r));
    launcher.kill('SIGTERM');
    await exited;
  }
  rmSync(home, { recursive: true, force: true });
}, 60_000);

describe('orders across services (npm start)', () => {
  it('starts order-service and payment-service with the others', () => {
    for (const name of SERVICES) expect(output).toMatch(new RegExp(`^\\s+${name}\\s+\\d+\\s+http`, 'm'));
  });

  it("runs the README's order walkthrough as written: one order confirmed, one rejected", () => {
    const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
    const from = readme.indexOf('Then an order confirmed and one rejected');
    expect(from).toBeGreaterThan(0);
    const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(from))?.[1];
    expect(block).toBeDefined();
    const script = block!
      .replaceAll('127.0.0.1:10000', `127.0.0.1:${ports.get('gateway')}`)
      // the read model follows within a moment; on a loaded machine give it longer
      .replace('sleep 1\n', 'sleep 5\n');
    const run = spawnSync('bash', ['-e', '-c', script], { encoding: 'utf8', timeout: 240_000 });
    expect(run.status, `${run.stderr}\n${run.stdout}`).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(JSON.parse(lines[0]!).data).toMatchObject({ status: 'pending', total: 5000 });
    expect(lines[1]).toMatch(
      /^confirmed 5000 started,step_completed,step_completed,step_completed,completed$/,
    );
    expect(lines[2]).toBe('3');
    expect(lines[3]).toMatch(/^rejected: declined by the provider: 60000 is above the limit of 50000$/);
    expect(lines[4]).toBe('2');
    expect(lines[5]).toContain('rejected Sofa payment=declined');
    expect(lines[5]).toContain('confirmed Lamp payment=charged');
  }, 300_000);

  it('rejects an order whose payment is not answered in time: stock released, payment refunded, nothing leaked', async () => {
    const id = await product('Clock', 4, 1200);
    const provider = await call('PUT', '/api/v1/payments/provider', adminToken, { answering: false });
    expect(provider.status, JSON.stringify(provider.body)).toBe(200);
    try {
      const placed = await placeOrder(adminToken, [{ productId: id, quantity: 3 }]);
      expect(placed.total).toBe(3600);
      const order = await settled(placed.id);
      expect(order.status).toBe('rejected');
      expect(order.reason).toBe('payment timed out: the payment provider did not answer');
      const kinds = (order.history as { kind: string; step: string }[]).map((h) => `${h.kind}:${h.step}`);
      expect(kinds).toContain('step_timed_out:charge-payment');
      expect(kinds.at(-1)).toMatch(/^compensated:/);
      // The silent provider had taken the money: the compensation gave it back.
      const payment = await call('GET', `/api/v1/payments/${placed.id}`, adminToken);
      expect(payment.body.data).toMatchObject({ status: 'refunded', amount: 3600 });
      expect(await stockOf(id)).toBe(4);
    } finally {
      await call('PUT', '/api/v1/payments/provider', adminToken, { answering: true });
    }
  }, 150_000);

  it('rejects an order for more than the stock, and never takes stock below zero', async () => {
    const id = await product('Vase', 2, 500);
    const orders = await Promise.all(
      [1, 2, 3].map(() => placeOrder(adminToken, [{ productId: id, quantity: 1 }])),
    );
    const big = await placeOrder(adminToken, [{ productId: id, quantity: 5 }]);
    const outcomes = await Promise.all([...orders, big].map((o) => settled(o.id)));
    const confirmed = outcomes.filter((o) => o.status === 'confirmed');
    expect(confirmed).toHaveLength(2);
    expect(outcomes.at(-1)).toMatchObject({ status: 'rejected' });
    expect(outcomes.at(-1).reason).toMatch(/^not enough stock of product/);
    expect(await stockOf(id)).toBe(0);
  }, 150_000);

  it('keeps tenants apart: another tenant neither sees nor orders from this one', async () => {
    const id = await product('Chair', 3, 900);
    const mine = await placeOrder(adminToken, [{ productId: id, quantity: 1 }]);
    await settled(mine.id);
    const email = `ada-${Date.now()}@example.com`;
    const password = 'correct horse battery staple';
    expect((await call('POST', '/api/v1/auth/register', undefined, { email, password })).status).toBe(201);
    const ada = (await call('POST', '/api/v1/auth/login', undefined, { email, password })).body.data
      .accessToken;
    const read = await call('GET', `/api/v1/orders/${mine.id}`, ada);
    expect(read.status).toBe(404);
    expect(read.body.error?.code).toBe('ORDER_NOT_FOUND');
    expect((await call('GET', `/api/v1/payments/${mine.id}`, ada)).status).toBe(404);
    expect((await call('GET', '/api/v1/orders', ada)).body.data).toEqual([]);
    // Prices come from the caller's tenant's catalogue: another tenant's product is not there.
    const foreign = await call('POST', '/api/v1/orders', ada, { items: [{ productId: id, quantity: 1 }] });
    expect(foreign.status).toBe(422);
    expect(foreign.body.error?.code).toBe('ORDER_ITEMS_INVALID');
    // The owner's list (the read model) has it, with the product's name and the payment state.
    const listed = await eventually('the order in the read model', async () => {
      const all = (await call('GET', '/api/v1/orders', adminToken)).body.data as {
        id: string;
        status: string;
        payment: { status: string };
        items: unknown[];
      }[];
      const row = all.find((o) => o.id === mine.id);
      return row?.status === 'confirmed' && row.payment.status === 'charged' ? row : undefined;
    });
    expect(listed.items).toEqual([{ productId: id, name: 'Chair', quantity: 1, unitPrice: 900 }]);
  }, 150_000);

  it('answers 401 without a token and 400 for a bad body, in the error envelope', async () => {
    const anonymous = await call('POST', '/api/v1/orders', undefined, { items: [] });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error?.code).toBe('UNAUTHENTICATED');
    for (const body of [
      {},
      { items: [] },
      { items: [{ productId: 'nope', quantity: 1 }] },
      { items: [{ productId: crypto.randomUUID(), quantity: 0 }] },
    ]) {
      const res = await call('POST', '/api/v1/orders', adminToken, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error?.code).toBe('VALIDATION_FAILED');
    }
    const unknown = await call('GET', `/api/v1/orders/${crypto.randomUUID()}`, adminToken);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.code).toBe('ORDER_NOT_FOUND');
  });

  it('orders survive a SIGKILL of order-service mid-saga: each ends confirmed or rejected, payments agree', async () => {
    const id = await product('Mug', 20, 300);
    const placed = [];
    for (let i = 0; i < 4; i++) placed.push(await placeOrder(adminToken, [{ productId: id, quantity: 1 }]));
    const pid = pidOf('order-service');
    expect(pid).toBeGreaterThan(0);
    // The orders and their order.placed events are committed; the sagas are somewhere in flight.
    process.kill(pid, 'SIGKILL');
    await eventually(
      'order-service to be restarted',
      async () => (pidOf('order-service') !== pid ? true : undefined),
      {
        timeoutMs: 120_000,
        context: () => output.slice(-3000),
      },
    );
    const outcomes = await Promise.all(placed.map((o) => settled(o.id)));
    let confirmed = 0;
    for (const order of outcomes) {
      const payment = await call('GET', `/api/v1/payments/${order.id}`, adminToken);
      if (order.status === 'confirmed') {
        confirmed++;
        expect(payment.body.data).toMatchObject({ status: 'charged', amount: 300 });
      } else {
        // Rejected (a timeout while the saga's owner was down): nothing kept.
        expect(payment.status === 404 || ['declined', 'refunded'].includes(payment.body.data.status)).toBe(
          true,
        );
      }
    }
    expect(await stockOf(id)).toBe(20 - confirmed);
    expect(output).toContain('order-service restarted');
  }, 240_000);

  it('holds the invariant: stock held equals what pending orders hold, none negative', async () => {
    // Every saga has finished (the tests waited for each); inventory-service marks held stock
    // sold when order.confirmed reaches it, a moment later: wait for that, then it must balance.
    let last = await invariant();
    const state = await eventually(
      'held stock to equal what pending orders hold',
      async () => {
        last = await invariant();
        return last.held === last.pending ? last : undefined;
      },
      { timeoutMs: 60_000, context: () => JSON.stringify(last) },
    );
    expect(state).toEqual({ held: 0, pending: 0, negative: 0 });
    const statuses = await inventoryDb.query<{ status: string; n: string }>(
      'SELECT status, count(*)::text AS n FROM stock_reservations GROUP BY status ORDER BY status',
    );
    const byStatus = Object.fromEntries(statuses.rows.map((r) => [r.status, Number(r.n)]));
    // confirmed orders sold their stock; rejected ones released it or never got it
    expect(byStatus.sold).toBeGreaterThanOrEqual(4);
    expect(byStatus.held ?? 0).toBe(0);
    const unfinished = await orderDb.query(
      `SELECT id FROM saga_instance WHERE status NOT IN ('completed', 'compensated')`,
    );
    expect(unfinished.rowCount).toBe(0);
  }, 120_000);
});
